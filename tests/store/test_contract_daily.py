"""The daily-aggregate queries of the SeriesStore contract, run against every backend."""

from __future__ import annotations

import random

import pytest

from core.store import SeriesStore
from core.store.daily import DayEnergy, days_from_points, import_from_points
from tests.store.points import DAY, EVERYTHING, T0, pt

# T0 is 2026-03-02 00:00 UTC = 08:00 in Shanghai; local midnights fall at 16:00 UTC.
MIDNIGHT = T0 - 8 * 3600


def test_energy_by_day_sums_and_counts_each_meter_per_shanghai_day(store: SeriesStore) -> None:
    store.write(
        [pt("m1", MIDNIGHT - 60, energy=9.0), pt("m1", MIDNIGHT, energy=1.5), pt("m1", MIDNIGHT + 900, energy=2.0)]
        + [pt("m2", MIDNIGHT + DAY + 5, energy=4.0, category="pv")]
    )
    assert store.energy_by_day(**EVERYTHING, site_id="s1") == [
        DayEnergy("s1", "m1", "elevator", MIDNIGHT - DAY, 9.0, 1),
        DayEnergy("s1", "m1", "elevator", MIDNIGHT, 3.5, 2),
        DayEnergy("s1", "m2", "pv", MIDNIGHT + DAY, 4.0, 1),
    ]


def test_energy_by_day_counts_only_points_inside_a_range_cut_mid_day(store: SeriesStore) -> None:
    store.write([pt("m1", MIDNIGHT + h * 3600, energy=1.0) for h in range(48)])
    days = store.energy_by_day(start=MIDNIGHT + 6 * 3600, end=MIDNIGHT + DAY + 3 * 3600, site_id="s1")
    assert [(d.day, d.energy, d.readings) for d in days] == [(MIDNIGHT, 18.0, 18), (MIDNIGHT + DAY, 3.0, 3)]


def test_energy_by_day_of_every_site_in_one_call(store: SeriesStore) -> None:
    store.write([pt("m1", MIDNIGHT, site="s1"), pt("m9", MIDNIGHT, site="s2")])
    assert [(d.site_id, d.meter_id) for d in store.energy_by_day(**EVERYTHING)] == [("s1", "m1"), ("s2", "m9")]


def test_energy_by_day_in_another_zone_uses_that_zones_midnight(store: SeriesStore) -> None:
    utc_midnight = T0
    store.write([pt("m1", utc_midnight - 60), pt("m1", utc_midnight + 60)])
    days = store.energy_by_day(**EVERYTHING, site_id="s1", tz="UTC")
    assert [d.day for d in days] == [utc_midnight - DAY, utc_midnight]


def test_rewriting_a_point_replaces_it_in_the_daily_sums(store: SeriesStore) -> None:
    store.write([pt("m1", MIDNIGHT, energy=1.0), pt("m1", MIDNIGHT + 900, energy=1.0)])
    store.write([pt("m1", MIDNIGHT, energy=5.0)])
    assert [(d.energy, d.readings) for d in store.energy_by_day(**EVERYTHING, site_id="s1")] == [(6.0, 2)]


def test_grid_import_nets_generation_per_quarter_hour_and_floors_at_zero(store: SeriesStore) -> None:
    store.write(
        [
            # 10:00 local: 3 kWh used, 1 kWh generated -> 2 imported.
            pt("load", MIDNIGHT + 36000, energy=3.0),
            pt("pv", MIDNIGHT + 36000 + 30, energy=1.0, category="pv"),
            # 10:15: 1 kWh used, 4 generated -> 0 imported; the 3 kWh exported offset nothing.
            pt("load", MIDNIGHT + 36900, energy=1.0),
            pt("pv", MIDNIGHT + 36900, energy=4.0, category="pv"),
            # 10:30: gas is never netted against electricity.
            pt("load", MIDNIGHT + 37800, energy=2.0),
            pt("boiler", MIDNIGHT + 37800, energy=50.0, category="gas"),
        ]
    )
    assert store.grid_import_by_day(**EVERYTHING, site_ids=["s1"]) == {("s1", MIDNIGHT): 4.0}


def test_grid_import_is_kept_apart_per_site_and_day(store: SeriesStore) -> None:
    store.write(
        [pt("a", MIDNIGHT, energy=1.0, site="s1"), pt("b", MIDNIGHT + DAY, energy=2.0, site="s2"), pt("c", MIDNIGHT, site="s3")]
    )
    assert store.grid_import_by_day(**EVERYTHING, site_ids=["s1", "s2"]) == {("s1", MIDNIGHT): 1.0, ("s2", MIDNIGHT + DAY): 2.0}


def test_daily_queries_match_the_reference_on_seeded_random_data(store: SeriesStore) -> None:
    rng = random.Random(7)
    written = [
        pt(meter, MIDNIGHT + 900 * i + rng.randint(0, 30), energy=round(rng.uniform(0, 4), 3), category=category)
        for meter, category in (("load", "public_hvac"), ("pv", "pv"), ("gas", "gas"))
        for i in range(0, 3 * 96)
        if rng.random() > 0.1
    ]
    store.write(written)
    start, end = MIDNIGHT + 5 * 3600 + 17, MIDNIGHT + 2 * DAY + 7 * 3600
    inside = [p for p in written if start <= p.ts < end]
    got = store.energy_by_day(start=start, end=end, site_id="s1")
    expected = days_from_points(inside)
    assert [d[:4] + (d.readings,) for d in got] == [d[:4] + (d.readings,) for d in expected]
    assert [d.energy for d in got] == pytest.approx([d.energy for d in expected])
    imports = store.grid_import_by_day(start=start, end=end, site_ids=["s1"])
    reference = import_from_points(inside, ["s1"])
    assert imports.keys() == reference.keys()
    assert imports == pytest.approx(reference)


def test_an_empty_range_has_no_daily_rows(store: SeriesStore) -> None:
    store.write([pt("m1", T0)])
    assert store.energy_by_day(start=T0, end=T0) == []
    assert store.grid_import_by_day(start=T0, end=T0, site_ids=["s1"]) == {}


def test_energy_by_segment_sums_whole_days_and_partial_pieces_per_meter(store: SeriesStore) -> None:
    # Hourly points over three local days; segments cut mid-day 1, at midnight, and mid-day 3.
    store.write(
        [pt("m1", MIDNIGHT + h * 3600, energy=1.0) for h in range(72)] + [pt("m2", MIDNIGHT + 7200, energy=5.0, site="s2")]
    )
    bounds = [MIDNIGHT + 6 * 3600, MIDNIGHT + DAY, MIDNIGHT + 2 * DAY + 12 * 3600]
    rows = store.energy_by_segment(bounds=bounds, site_ids=["s1"])
    # Segment 0: 18 partial hours of day 1. Segment 1: day 2 whole (24) and 12 hours of day 3.
    assert [(r.meter_id, r.segment, r.energy, r.readings, r.busiest_day) for r in rows] == [
        ("m1", 0, 18.0, 18, 0),
        ("m1", 1, 36.0, 36, 24),
    ]


def test_energy_by_segment_of_every_site_when_none_is_named(store: SeriesStore) -> None:
    store.write([pt("m1", MIDNIGHT, site="s1"), pt("m9", MIDNIGHT, site="s2")])
    rows = store.energy_by_segment(bounds=[MIDNIGHT, MIDNIGHT + DAY])
    assert [(r.site_id, r.busiest_day) for r in rows] == [("s1", 1), ("s2", 1)]


def test_grid_import_by_segment_adds_the_netted_days_of_each_segment(store: SeriesStore) -> None:
    store.write(
        [pt("load", MIDNIGHT + 36000, energy=3.0), pt("pv", MIDNIGHT + 36000, energy=1.0, category="pv")]
        + [pt("load", MIDNIGHT + DAY + 36000, energy=2.0), pt("pv", MIDNIGHT + DAY + 36000, energy=5.0, category="pv")]
        + [pt("load", MIDNIGHT + 2 * DAY + 100, energy=4.0)]
    )
    bounds = [MIDNIGHT, MIDNIGHT + 2 * DAY, MIDNIGHT + 2 * DAY + 3600]
    assert store.grid_import_by_segment(bounds=bounds, site_ids=["s1"]) == {("s1", 0): 2.0, ("s1", 1): 4.0}


def test_segments_spanning_whole_months_match_the_raw_points(store: SeriesStore) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")

    def local(*args: int) -> int:
        return int(datetime(*args, tzinfo=zone).timestamp())

    rng = random.Random(11)
    written = [
        pt(meter, local(2026, 1, 20) + 3600 * h + rng.randint(0, 60), energy=round(rng.uniform(0, 2), 3))
        for meter in ("m1", "m2")
        for h in range(24 * 75)
        if rng.random() > 0.05
    ]
    store.write(written)
    bounds = [local(2026, 1, 25, 7), local(2026, 2, 1), local(2026, 3, 31, 18)]
    got = {(r.meter_id, r.segment): r for r in store.energy_by_segment(bounds=bounds, site_ids=["s1"])}
    for meter in ("m1", "m2"):
        for i in range(2):
            inside = [p for p in written if p.meter_id == meter and bounds[i] <= p.ts < bounds[i + 1]]
            assert got[(meter, i)].readings == len(inside)
            assert got[(meter, i)].energy == pytest.approx(sum(p.energy for p in inside))
    # The busiest whole day of segment 1 (1 Feb to 31 Mar 00:00) by hand:
    days = days_from_points([p for p in written if p.meter_id == "m1" and bounds[1] <= p.ts < local(2026, 3, 31)])
    assert got[("m1", 1)].busiest_day == max(d.readings for d in days)


def test_segments_of_single_whole_months_match_the_raw_points(store: SeriesStore) -> None:
    """A portfolio's month (and a year by month) reads one rollup row per meter and month."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")

    def local(*args: int) -> int:
        return int(datetime(*args, tzinfo=zone).timestamp())

    rng = random.Random(12)
    written = [
        pt(meter, local(2026, 1, 20) + 3600 * h + rng.randint(0, 60), energy=round(rng.uniform(0, 2), 3), site=site)
        for meter, site in (("m1", "s1"), ("m2", "s1"), ("m3", "s2"))
        for h in range(24 * 75)
        if rng.random() > 0.05
    ]
    store.write(written)
    bounds = [local(2026, 2, 1), local(2026, 3, 1), local(2026, 4, 1)]
    got = {(r.meter_id, r.segment): r for r in store.energy_by_segment(bounds=bounds, site_ids=["s1", "s2"])}
    assert len(got) == 6
    for meter in ("m1", "m2", "m3"):
        for i in range(2):
            inside = [p for p in written if p.meter_id == meter and bounds[i] <= p.ts < bounds[i + 1]]
            assert got[(meter, i)].readings == len(inside)
            assert got[(meter, i)].energy == pytest.approx(sum(p.energy for p in inside))
            days = days_from_points(inside)
            assert got[(meter, i)].busiest_day == max(d.readings for d in days)
    only_s2 = store.energy_by_segment(bounds=bounds, site_ids=["s2"])
    assert {(r.site_id, r.meter_id) for r in only_s2} == {("s2", "m3")}
