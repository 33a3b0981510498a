"""Meter behaviour and data faults: each appears at its configured rate, is labelled, and does what it says."""

from __future__ import annotations

from collections import defaultdict

import pytest

from core import wire
from simulators import build_portfolio, generate, plan_scenarios
from simulators.meters import resolution_of
from tests.simulators.common import DAY, JUNE_1, STEP

WEEK = 7 * DAY
PORTFOLIO = build_portfolio(6, seed=31)
N_METERS = len(list(PORTFOLIO.all_meters()))


def run(faults: dict[str, float], days: int = 7, seed: int = 5, mix: dict | None = None):
    events = plan_scenarios(PORTFOLIO, JUNE_1, JUNE_1 + days * DAY, mix=mix or {}, faults=faults, seed=seed)
    gen = generate(PORTFOLIO, JUNE_1, JUNE_1 + days * DAY, waste=events, seed=seed)
    by_meter = defaultdict(dict)
    for ts, readings in gen:
        for r in readings:
            by_meter[r.meter_id][ts] = r
    return events, gen.events(), by_meter


def test_every_meter_announces_where_its_register_rolls_over():
    site = PORTFOLIO.sites[0]
    _, meters = wire.decode(wire.meta_topic(site.site_id), wire.encode_meta(site, PORTFOLIO.meters[site.site_id])).meta
    assert meters == PORTFOLIO.meters[site.site_id]
    assert all(m.register_max is not None and m.register_max >= 99_999.99 for m in meters)


@pytest.mark.parametrize("kind", ["stuck_register", "spike", "dropout", "register_reset"])
def test_a_fault_kind_is_planned_at_its_configured_rate_per_meter_week(kind):
    rate = 0.5
    events = plan_scenarios(PORTFOLIO, JUNE_1, JUNE_1 + 4 * WEEK, mix={}, faults={kind: rate}, seed=2)
    expected = rate * 4 * N_METERS
    assert 0.75 * expected <= sum(e.kind == kind for e in events) <= 1.25 * expected


def test_faults_are_labelled_data_faults_or_meter_events_with_no_wasted_energy():
    faults = {"stuck_register": 0.3, "spike": 0.3, "dropout": 0.3, "register_reset": 0.1}
    _, truth, _ = run(faults, days=3)
    assert truth
    for event, kwh in truth:
        assert event.event_class == ("meter_event" if event.kind == "register_reset" else "data_fault")
        assert kwh == 0.0


def test_faults_never_overlap_waste_on_the_same_meter():
    events = plan_scenarios(PORTFOLIO, JUNE_1, JUNE_1 + 2 * WEEK, faults={"stuck_register": 1.0, "dropout": 1.0}, seed=4)
    by_meter = defaultdict(list)
    for e in events:
        by_meter[e.meter_id].append(e)
    for es in by_meter.values():
        es.sort(key=lambda e: e.start)
        assert all(a.end <= b.start for a, b in zip(es, es[1:], strict=False))


def test_a_stuck_register_repeats_its_value_while_power_is_still_reported():
    events, _, series = run({"stuck_register": 0.5}, days=3)
    stuck = [e for e in events if e.kind == "stuck_register" and PORTFOLIO.meter(e.meter_id).unit == "kWh"]
    assert stuck
    for e in stuck:
        values = {r.register for ts, r in series[e.meter_id].items() if e.start - STEP <= ts < e.end}
        assert len(values) == 1


def test_a_spike_shows_one_register_far_above_both_neighbours():
    events, _, series = run({"spike": 0.5}, days=3)
    spikes = [e for e in events if e.kind == "spike" and e.end + STEP <= JUNE_1 + 3 * DAY]
    assert spikes
    for e in spikes:
        rs = series[e.meter_id]
        before, at, after = rs[e.start - STEP].register, rs[e.start].register, rs[e.start + STEP].register
        floor = 1000 * resolution_of(PORTFOLIO.meter(e.meter_id))
        assert at - before > floor and at - after > floor
        assert after >= before


def test_a_dropout_publishes_nothing_for_that_meter_and_everything_for_the_others():
    events, _, series = run({"dropout": 0.3}, days=2)
    drops = [e for e in events if e.kind == "dropout"]
    assert drops
    for e in drops:
        silent = {ts for ts in range(JUNE_1, JUNE_1 + 2 * DAY, STEP) if e.start <= ts < e.end}
        assert silent and not silent & set(series[e.meter_id])
    dropped = sum(len({ts for ts in range(JUNE_1, JUNE_1 + 2 * DAY, STEP) if e.start <= ts < e.end}) for e in drops)
    assert sum(len(s) for s in series.values()) == N_METERS * (2 * DAY // STEP) - dropped


def test_a_meter_replacement_restarts_the_register_near_zero():
    events, _, series = run({"register_reset": 0.5}, days=2)
    resets = [e for e in events if e.kind == "register_reset"]
    assert resets
    for e in resets:
        meter = PORTFOLIO.meter(e.meter_id)
        rs = series[e.meter_id]
        assert rs[e.start].register < 5.0 + meter.rated_kw * 1.1 * STEP / 3600
        assert rs[e.start - STEP].register > rs[e.start].register


def test_planned_rollovers_wrap_the_register_past_register_max_and_are_labelled_when_they_happen():
    events, truth, series = run({"register_rollover": 0.2}, days=7)
    planned = {e.meter_id for e in events if e.kind == "register_rollover"}
    seen = [e for e, _ in truth if e.kind == "register_rollover"]
    assert planned and {e.meter_id for e in seen} <= planned
    assert len(seen) >= 0.8 * len(planned)
    for e in seen:
        meter = PORTFOLIO.meter(e.meter_id)
        before, after = series[e.meter_id][e.start - STEP].register, series[e.meter_id][e.start].register
        assert before > 0.99 * meter.register_max
        assert after < 0.01 * meter.register_max
        assert e.event_class == "meter_event"


def test_registers_stay_within_zero_and_register_max():
    _, _, series = run({"register_rollover": 0.3}, days=7)
    for meter_id, rs in series.items():
        top = PORTFOLIO.meter(meter_id).register_max
        assert all(0.0 <= r.register <= top for r in rs.values())


def test_without_rollovers_planned_no_register_wraps_in_a_year_of_full_load():
    # Meters are sized for years at full load, so an unplanned wrap cannot happen.
    for m in PORTFOLIO.all_meters():
        per_year = m.rated_kw * 1.1 * 8760 / (10.0 if m.unit == "m3" else 1.0)
        assert m.register_max * 0.75 > per_year


def test_the_same_seed_plans_and_generates_the_same_faults():
    faults = {"stuck_register": 0.2, "spike": 0.2, "dropout": 0.2, "register_rollover": 0.1}
    first, second = run(faults, days=2, seed=9), run(faults, days=2, seed=9)
    assert first[0] == second[0] and first[1] == second[1] and first[2] == second[2]
    assert first[0] != run(faults, days=2, seed=10)[0]
