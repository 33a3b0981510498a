"""Every waste kind adds the energy its ground truth says, where and when the kind says; plan_scenarios mixes them."""

from __future__ import annotations

import csv
import functools
import json

import pytest

from core.domain import SiteType
from simulators import (
    GROUND_TRUTH_COLUMNS,
    WASTE_KINDS,
    WasteEvent,
    build_portfolio,
    generate,
    plan_scenarios,
    write_ground_truth,
)
from simulators.context import SiteTable
from simulators.meters import resolution_of
from simulators.waste import WASTE_CATEGORIES
from tests.simulators.common import DAY, JUNE_1, STEP

PORTFOLIO = build_portfolio(12, seed=17)
WEEK = 7 * DAY


def registers(events, days, seed=3):
    """Last register and per-step power of every meter, by meter id."""
    last, power = {}, {}
    for ts, readings in (gen := generate(PORTFOLIO, JUNE_1, JUNE_1 + days * DAY, waste=events, seed=seed)):
        for r in readings:
            last[r.meter_id] = r.register
            power.setdefault(r.meter_id, {})[ts] = r.power_kw
    return gen, last, power


@functools.cache
def clean_run(days: int):
    """The run without events, shared by the tests that compare against it."""
    return registers([], days)


def one_event(kind: str) -> WasteEvent:
    """A hand-placed event of ``kind`` on the first suitable meter, over days 2-5."""
    meter = next(m for m in PORTFOLIO.all_meters() if m.category in WASTE_CATEGORIES[kind])
    return WasteEvent(
        meter.site_id, meter.meter_id, kind, JUNE_1 + DAY + 7 * 3600, JUNE_1 + 5 * DAY, round(0.3 * meter.rated_kw, 2)
    )


@pytest.mark.parametrize("kind", WASTE_KINDS)
def test_a_waste_event_adds_exactly_the_energy_its_ground_truth_reports(kind):
    event = one_event(kind)
    _, clean, _ = clean_run(6)
    gen, wasteful, _ = registers([event], 6)
    [(_, wasted)] = gen.events()
    assert wasted > 0
    assert wasteful[event.meter_id] - clean[event.meter_id] == pytest.approx(
        wasted, abs=2 * resolution_of(PORTFOLIO.meter(event.meter_id))
    )
    assert {k: v for k, v in wasteful.items() if k != event.meter_id} == {k: v for k, v in clean.items() if k != event.meter_id}


@pytest.mark.parametrize("kind", ["compressed_air_leak", "elevator_idle"])
def test_leaks_and_idling_add_load_only_while_the_site_is_closed(kind):
    event = one_event(kind)
    _, _, clean = clean_run(6)
    _, _, wasteful = registers([event], 6)
    site_index = [s.site_id for s in PORTFOLIO.sites].index(event.site_id)
    table = SiteTable(PORTFOLIO.sites, seed=3)
    extra_open = extra_closed = 0.0
    for ts in range(event.start + STEP, event.end, STEP):
        extra = wasteful[event.meter_id][ts] - clean[event.meter_id][ts]
        open_frac = table.context(ts - STEP, ts).open_frac[site_index]
        if open_frac == 1.0:
            extra_open = max(extra_open, abs(extra))
        elif open_frac == 0.0:
            extra_closed = max(extra_closed, extra)
    assert extra_open <= 0.011
    assert extra_closed > 0.5 * event.extra_kw


def _weekly_waste(event: WasteEvent, weeks: int = 3) -> list[float]:
    """Wasted kWh of ``event`` in each simulated week from June 1."""
    gen = generate(PORTFOLIO, JUNE_1, JUNE_1 + weeks * WEEK, waste=[event], seed=3)
    weekly = []
    for _week in range(weeks):
        before = gen.wasted_kwh[0]
        for _ in range(WEEK // STEP):
            gen.next_step()
        weekly.append(gen.wasted_kwh[0] - before)
    return weekly


def test_base_load_creep_grows_over_the_event():
    meter = next(m for m in PORTFOLIO.all_meters() if m.category.value == "water_pump")
    event = WasteEvent(
        meter.site_id, meter.meter_id, "base_load_creep", JUNE_1, JUNE_1 + 3 * WEEK, round(0.2 * meter.rated_kw, 2)
    )
    weekly = _weekly_waste(event)
    assert weekly[0] < weekly[1] < weekly[2]
    assert weekly[2] == pytest.approx(5 * weekly[0], rel=0.1)  # linear ramp: weeks weigh 1 : 3 : 5


def creep_on_a_pump(end: int, ramp_end: int | None = None) -> WasteEvent:
    meter = next(m for m in PORTFOLIO.all_meters() if m.category.value == "water_pump")
    return WasteEvent(meter.site_id, meter.meter_id, "base_load_creep", JUNE_1, end, round(0.2 * meter.rated_kw, 2), ramp_end)


def test_a_creep_cut_before_its_ramp_completes_keeps_its_slope():
    planned = creep_on_a_pump(JUNE_1 + 3 * WEEK)
    cut = planned.cut(JUNE_1 + WEEK)
    assert cut.end == cut.ramp_stop == JUNE_1 + WEEK
    assert cut.extra_kw == pytest.approx(planned.extra_kw / 3, abs=0.001)  # what it has grown to
    _, _, full_power = registers([planned], 7)
    gen, _, cut_power = registers([cut], 7)
    assert cut_power[cut.meter_id] == pytest.approx(full_power[cut.meter_id], abs=0.011)
    [(_, wasted)] = gen.events()
    # A third of the size over the first week of the ramp: 1/2 x 7 days x 24 h x extra/3.
    assert wasted == pytest.approx(0.5 * 7 * 24 * planned.extra_kw / 3, rel=0.05)


def test_a_creep_holds_its_full_load_after_its_ramp():
    event = creep_on_a_pump(JUNE_1 + 3 * WEEK, ramp_end=JUNE_1 + WEEK)
    weekly = _weekly_waste(event)
    assert weekly[1] == pytest.approx(2 * weekly[0], rel=0.05)  # the ramp's mean is half its top
    assert weekly[2] == pytest.approx(weekly[1], rel=0.02)
    assert weekly[1] == pytest.approx(7 * 24 * event.extra_kw, rel=0.05)


def test_a_plateau_cut_keeps_the_full_load():
    event = creep_on_a_pump(JUNE_1 + 3 * WEEK, ramp_end=JUNE_1 + WEEK)
    cut = event.cut(JUNE_1 + 2 * WEEK)
    assert (cut.extra_kw, cut.ramp_stop, cut.end) == (event.extra_kw, JUNE_1 + WEEK, JUNE_1 + 2 * WEEK)


def test_plan_scenarios_places_creeps_that_finish_their_ramp_and_stay():
    end = JUNE_1 + 3 * WEEK
    events = plan_scenarios(PORTFOLIO, JUNE_1, end, mix={"base_load_creep": 2.0}, seed=6)
    assert len(events) >= 10
    for e in events:
        assert 4 * DAY <= e.ramp_stop - e.start <= 21 * DAY
        assert e.ramp_stop + 3 * DAY <= e.end <= end  # held at least three days, cut only on the plateau
    assert any(e.end < end for e in events) and any(e.end == end for e in events)  # some fixed, some still there


@pytest.mark.parametrize("kind", WASTE_KINDS)
def test_plan_scenarios_places_each_kind_at_its_rate_on_suitable_meters(kind):
    rate = 1.0
    weeks = 8
    events = plan_scenarios(PORTFOLIO, JUNE_1, JUNE_1 + weeks * WEEK, mix={kind: rate}, seed=6)
    able = [s for s in PORTFOLIO.sites if any(m.category in WASTE_CATEGORIES[kind] for m in PORTFOLIO.meters[s.site_id])]
    expected = rate * weeks * len(able)
    assert 0.6 * expected <= len(events) <= 1.2 * expected  # long events can be crowded out on one meter
    for e in events:
        assert e.kind == kind and e.event_class == "waste"
        assert PORTFOLIO.meter(e.meter_id).category in WASTE_CATEGORIES[kind]
        assert JUNE_1 <= e.start < e.end <= JUNE_1 + weeks * WEEK


def test_compressed_air_leaks_happen_only_in_industrial_parks():
    events = plan_scenarios(PORTFOLIO, JUNE_1, JUNE_1 + 8 * WEEK, mix={"compressed_air_leak": 1.0}, seed=6)
    assert events
    assert all(PORTFOLIO.site(e.site_id).site_type is SiteType.INDUSTRIAL for e in events)


def test_plan_scenarios_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown event kinds"):
        plan_scenarios(PORTFOLIO, JUNE_1, JUNE_1 + WEEK, mix={"lights_on_mars": 1.0})


def test_plan_scenarios_is_deterministic_by_seed():
    mix = {k: 0.5 for k in WASTE_KINDS}
    faults = {"spike": 0.1, "dropout": 0.1}
    a = plan_scenarios(PORTFOLIO, JUNE_1, JUNE_1 + 2 * WEEK, mix=mix, faults=faults, seed=1)
    assert a == plan_scenarios(PORTFOLIO, JUNE_1, JUNE_1 + 2 * WEEK, mix=mix, faults=faults, seed=1)
    assert a != plan_scenarios(PORTFOLIO, JUNE_1, JUNE_1 + 2 * WEEK, mix=mix, faults=faults, seed=2)


def test_ground_truth_files_carry_every_column_and_the_class(tmp_path):
    events = plan_scenarios(PORTFOLIO, JUNE_1, JUNE_1 + 2 * DAY, mix={"pump_night": 2.0}, faults={"spike": 0.5}, seed=1)
    gen = generate(PORTFOLIO, JUNE_1, JUNE_1 + 2 * DAY, waste=events, seed=1)
    for _ in gen:
        pass
    csv_path, json_path = write_ground_truth(tmp_path / "truth", gen.events())
    with csv_path.open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert tuple(reader.fieldnames) == GROUND_TRUTH_COLUMNS
    assert all(r["ramp_end"] == "" for r in rows)  # only ramped kinds have one
    assert {r["class"] for r in rows} == {"waste", "data_fault"}
    assert all(float(r["wasted_kwh"]) == 0.0 for r in rows if r["class"] == "data_fault")
    assert len(json.loads(json_path.read_text(encoding="utf-8"))) == len(rows) == len(events)
