"""Planning of waste events and the ground-truth files."""

from __future__ import annotations

import csv
import json

from core.calendar import local_date
from core.solar import is_daylight
from simulators import WasteEvent, build_portfolio, plan_waste, write_ground_truth
from simulators.waste import WASTE_CATEGORIES
from tests.simulators.common import DAY, JUNE_1

WEEKS = 4


def planned():
    p = build_portfolio(8, seed=21)
    return p, plan_waste(p, JUNE_1, JUNE_1 + WEEKS * 7 * DAY, 2.0, seed=21)


def test_about_the_requested_number_of_events_is_planned():
    p, events = planned()
    expected = 2.0 * WEEKS * len(p.sites)
    assert 0.6 * expected <= len(events) <= 1.4 * expected


def test_events_lie_inside_the_simulated_range_and_last_hours():
    _, events = planned()
    for e in events:
        assert JUNE_1 <= e.start < e.end <= JUNE_1 + WEEKS * 7 * DAY
        assert e.end - e.start >= 2 * 3600


def test_events_are_on_meters_of_a_suitable_category():
    p, events = planned()
    for e in events:
        meter = p.meter(e.meter_id)
        assert meter.site_id == e.site_id
        assert meter.category in WASTE_CATEGORIES[e.kind]


def test_lights_daylight_events_are_in_daylight():
    p, events = planned()
    for e in (e for e in events if e.kind == "lights_daylight"):
        site = p.site(e.site_id)
        assert is_daylight(site.latitude, site.longitude, e.start)
        assert is_daylight(site.latitude, site.longitude, e.end - 1)


def test_pump_night_events_start_late_in_the_evening_or_at_night():
    p, events = planned()
    for e in (e for e in events if e.kind == "pump_night"):
        hour = (e.start - JUNE_1) % DAY / 3600
        assert hour >= 22 or hour < 1


def test_events_on_one_meter_never_overlap():
    _, events = planned()
    by_meter: dict[str, list[WasteEvent]] = {}
    for e in events:
        by_meter.setdefault(e.meter_id, []).append(e)
    for es in by_meter.values():
        es.sort(key=lambda e: e.start)
        assert all(a.end <= b.start for a, b in zip(es, es[1:], strict=False))


def test_no_events_when_the_rate_is_zero():
    p, _ = planned()
    assert plan_waste(p, JUNE_1, JUNE_1 + 7 * DAY, 0.0, seed=1) == []


def test_ground_truth_is_written_as_csv_and_json_with_iso_times(tmp_path):
    event = WasteEvent("site-0001", "site-0001-water_pump-1", "pump_night", JUNE_1, JUNE_1 + 3600, 5.0)
    csv_path, json_path = write_ground_truth(tmp_path / "truth.csv", [(event, 4.98765)])
    with csv_path.open(encoding="utf-8") as f:
        [row] = list(csv.DictReader(f))
    assert row["site"] == "site-0001" and row["meter"] == "site-0001-water_pump-1"
    assert row["start"] == "2026-05-31T16:00:00Z" and row["end"] == "2026-05-31T17:00:00Z"
    assert float(row["wasted_kwh"]) == 4.988
    assert json.loads(json_path.read_text(encoding="utf-8")) == [{**row, "wasted_kwh": 4.988, "extra_kw": 5.0}]


def test_event_local_dates_spread_over_the_range():
    _, events = planned()
    assert len({local_date(e.start) for e in events}) > WEEKS * 2
