"""The reading generator: deterministic, cumulative, daylight-driven, with accounted waste."""

from __future__ import annotations

from collections import defaultdict

import pytest

from simulators import WasteEvent, generate, plan_waste
from simulators.meters import resolution_of
from tests.simulators.common import DAY, JUNE_1, STEP, first_meter, interval_in_daylight, local_ts


def all_readings(gen):
    return [r for _, readings in gen for r in readings]


def series(readings):
    by_meter = defaultdict(list)
    for r in readings:
        by_meter[r.meter_id].append(r)
    return by_meter


def test_same_seed_gives_the_same_readings_and_events(portfolio):
    events_a = plan_waste(portfolio, JUNE_1, JUNE_1 + 7 * DAY, 3.0, seed=1)
    events_b = plan_waste(portfolio, JUNE_1, JUNE_1 + 7 * DAY, 3.0, seed=1)
    assert events_a == events_b
    run_a = all_readings(generate(portfolio, JUNE_1, JUNE_1 + DAY, waste=events_a, seed=1))
    run_b = all_readings(generate(portfolio, JUNE_1, JUNE_1 + DAY, waste=events_b, seed=1))
    assert run_a == run_b


def test_different_seeds_give_different_readings_and_events(portfolio):
    assert plan_waste(portfolio, JUNE_1, JUNE_1 + 7 * DAY, 3.0, seed=1) != plan_waste(
        portfolio, JUNE_1, JUNE_1 + 7 * DAY, 3.0, seed=2
    )
    assert all_readings(generate(portfolio, JUNE_1, JUNE_1 + DAY, seed=1)) != all_readings(
        generate(portfolio, JUNE_1, JUNE_1 + DAY, seed=2)
    )


def test_yields_one_reading_per_meter_per_step_in_the_half_open_range(portfolio):
    steps = list(generate(portfolio, JUNE_1, JUNE_1 + DAY, seed=0))
    assert [ts for ts, _ in steps] == list(range(JUNE_1, JUNE_1 + DAY, STEP))
    n_meters = len(list(portfolio.all_meters()))
    assert all(len(readings) == n_meters for _, readings in steps)


def test_registers_never_decrease(portfolio):
    events = plan_waste(portfolio, JUNE_1, JUNE_1 + 3 * DAY, 5.0, seed=4)
    for readings in series(all_readings(generate(portfolio, JUNE_1, JUNE_1 + 3 * DAY, waste=events, seed=4))).values():
        registers = [r.register for r in readings]
        assert registers == sorted(registers)


def test_registers_start_at_a_seeded_non_zero_value_with_meter_resolution(portfolio):
    _, first = next(generate(portfolio, JUNE_1, JUNE_1 + DAY, seed=0))
    for r in first:
        assert r.register > 0
        assert r.register == round(r.register, 2)


def test_interval_energy_is_mean_power_times_interval(portfolio):
    readings = series(all_readings(generate(portfolio, JUNE_1, JUNE_1 + DAY, seed=0)))
    for meter_id, rs in readings.items():
        if portfolio.meter(meter_id).unit != "kWh":
            continue
        for prev, cur in zip(rs, rs[1:], strict=False):
            # The register shows whole steps of its resolution; power is rounded to 0.01 kW.
            tolerance = resolution_of(portfolio.meter(meter_id)) + 0.005
            assert cur.register - prev.register == pytest.approx(cur.power_kw * STEP / 3600, abs=tolerance)


def test_gas_meters_report_volume_without_power(portfolio):
    gas = [m for m in portfolio.all_meters() if m.unit == "m3"]
    if not gas:
        pytest.skip("no gas meter in this portfolio")
    _, readings = next(generate(portfolio, JUNE_1, JUNE_1 + DAY, seed=0))
    assert all(r.power_kw is None for r in readings if r.meter_id in {m.meter_id for m in gas})


def test_clean_corridor_lighting_draws_little_in_daylight_and_much_more_at_night(portfolio):
    meter = first_meter(portfolio, "corridor_lighting")
    rs = series(all_readings(generate(portfolio, JUNE_1, JUNE_1 + DAY, seed=0)))[meter.meter_id][1:]
    day = [r.power_kw for r in rs if interval_in_daylight(portfolio, meter.site_id, r.ts) is True]
    night = [r.power_kw for r in rs if interval_in_daylight(portfolio, meter.site_id, r.ts) is False]
    assert max(day) < 0.1 * meter.rated_kw
    assert min(night) > 0.3 * meter.rated_kw


def test_lights_daylight_event_adds_the_reported_energy_to_that_meter_only(portfolio):
    meter = first_meter(portfolio, "corridor_lighting")
    event = WasteEvent(
        meter.site_id,
        meter.meter_id,
        "lights_daylight",
        local_ts(JUNE_1, 9),
        local_ts(JUNE_1, 15),
        extra_kw=round(0.5 * meter.rated_kw, 2),
    )
    clean = generate(portfolio, JUNE_1, JUNE_1 + DAY, seed=0)
    wasteful = generate(portfolio, JUNE_1, JUNE_1 + DAY, waste=[event], seed=0)
    clean_last = {r.meter_id: r.register for r in all_readings(clean)}
    wasteful_last = {r.meter_id: r.register for r in all_readings(wasteful)}
    [(_, wasted)] = wasteful.events()
    assert wasted == pytest.approx(event.extra_kw * 6, rel=1e-6)
    assert wasteful_last[meter.meter_id] - clean_last[meter.meter_id] == pytest.approx(wasted, abs=0.02)
    assert {k: v for k, v in wasteful_last.items() if k != meter.meter_id} == {
        k: v for k, v in clean_last.items() if k != meter.meter_id
    }


def test_waste_is_capped_at_what_the_circuit_can_carry(portfolio):
    meter = first_meter(portfolio, "corridor_lighting")
    # 03:00-04:00 local in June is night: the lights are already on, little headroom is left.
    event = WasteEvent(
        meter.site_id, meter.meter_id, "lights_daylight", local_ts(JUNE_1, 1), local_ts(JUNE_1, 3), extra_kw=10 * meter.rated_kw
    )
    gen = generate(portfolio, JUNE_1, JUNE_1 + DAY, waste=[event], seed=0)
    peak = max(r.power_kw for r in all_readings(gen) if r.meter_id == meter.meter_id)
    [(_, wasted)] = gen.events()
    assert peak <= 1.1 * meter.rated_kw + 0.01
    assert wasted < 2 * meter.rated_kw


def test_event_on_an_unknown_meter_is_refused(portfolio):
    event = WasteEvent("site-0001", "site-0001-nope-1", "pump_night", JUNE_1, JUNE_1 + 3600, 1.0)
    with pytest.raises(KeyError):
        generate(portfolio, JUNE_1, JUNE_1 + DAY, waste=[event])


def test_offices_use_less_on_a_holiday_than_on_a_workday():
    from simulators import build_portfolio

    p = build_portfolio(4, seed=11)
    office = next(s for s in p.sites if s.site_type.value == "office")
    national_day = JUNE_1 + 122 * DAY  # 1 October 2026, local midnight
    workday = national_day + 7 * DAY  # 8 October 2026, a Thursday back at work

    def office_kwh(start):
        rs = [r for r in all_readings(generate(p, start, start + DAY + STEP, seed=0)) if r.site_id == office.site_id]
        first = {r.meter_id: r.register for r in rs if r.ts == start}
        last = {r.meter_id: r.register for r in rs if r.ts == start + DAY}
        return sum(last[m] - first[m] for m in first if p.meter(m).unit == "kWh" and p.meter(m).category.value != "pv")

    assert office_kwh(national_day) < 0.7 * office_kwh(workday)
