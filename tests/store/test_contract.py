"""The SeriesStore contract, run against every backend (embedded, InfluxDB 1.x, InfluxDB 2.x)."""

from __future__ import annotations

import random
import time

import pytest

from core.store import SeriesStore, StoreUnavailable
from tests.store.points import DAY, EVERYTHING, T0, pt


def test_a_new_store_holds_no_points(store: SeriesStore) -> None:
    assert store.points(**EVERYTHING) == []
    assert store.latest() == {}
    assert store.energy_by_meter(site_id="s1", **EVERYTHING) == {}


def test_points_written_are_read_back_with_the_same_values(store: SeriesStore) -> None:
    written = [pt("m1", T0, 1234.567, 0.125), pt("m1", T0 + 900, 1234.692, 0.1 + 0.2), pt("m2", T0, 1e-7, 0.0)]
    store.write(written)
    assert store.points(**EVERYTHING) == written


def test_points_come_back_ordered_by_meter_then_time(store: SeriesStore) -> None:
    store.write([pt("m2", T0 + 60), pt("m1", T0 + 60), pt("m2", T0), pt("m1", T0)])
    keys = [(p.meter_id, p.ts) for p in store.points(**EVERYTHING)]
    assert keys == [("m1", T0), ("m1", T0 + 60), ("m2", T0), ("m2", T0 + 60)]


def test_writing_the_same_meter_and_time_again_keeps_one_point_with_the_last_value(store: SeriesStore) -> None:
    store.write([pt("m1", T0, register=10.0, energy=1.0)])
    store.write([pt("m1", T0, register=11.0, energy=2.0)])
    assert store.points(**EVERYTHING) == [pt("m1", T0, register=11.0, energy=2.0)]


def test_a_key_repeated_within_one_write_keeps_the_last_value(store: SeriesStore) -> None:
    store.write([pt("m1", T0, register=10.0), pt("m1", T0, register=12.0)])
    assert store.points(**EVERYTHING) == [pt("m1", T0, register=12.0)]


def test_a_range_includes_its_start_and_excludes_its_end(store: SeriesStore) -> None:
    store.write([pt("m1", T0 - 1), pt("m1", T0), pt("m1", T0 + 899), pt("m1", T0 + 900)])
    assert [p.ts for p in store.points(start=T0, end=T0 + 900)] == [T0, T0 + 899]


def test_an_empty_range_holds_no_points(store: SeriesStore) -> None:
    store.write([pt("m1", T0)])
    assert store.points(start=T0, end=T0) == []


def test_points_can_be_limited_to_one_site(store: SeriesStore) -> None:
    store.write([pt("m1", T0, site="s1"), pt("m2", T0, site="s2")])
    assert [p.meter_id for p in store.points(site_id="s2", **EVERYTHING)] == ["m2"]


def test_points_can_be_limited_to_one_meter(store: SeriesStore) -> None:
    store.write([pt("m1", T0), pt("m2", T0), pt("m2", T0 + 60)])
    assert [(p.meter_id, p.ts) for p in store.points(meter_id="m2", **EVERYTHING)] == [("m2", T0), ("m2", T0 + 60)]


def test_energy_by_meter_sums_each_meter_within_the_range(store: SeriesStore) -> None:
    store.write(
        [pt("m1", T0 - 60, energy=100.0), pt("m1", T0, energy=1.5), pt("m1", T0 + 60, energy=2.25)]
        + [pt("m2", T0 + 30, energy=4.0), pt("m2", T0 + 120, energy=100.0)]
    )
    assert store.energy_by_meter(site_id="s1", start=T0, end=T0 + 120) == {"m1": 3.75, "m2": 4.0}


def test_energy_by_meter_omits_other_sites_and_meters_without_points(store: SeriesStore) -> None:
    store.write([pt("m1", T0, energy=1.0, site="s1"), pt("m9", T0, energy=7.0, site="s2"), pt("m3", T0 + DAY, site="s1")])
    assert store.energy_by_meter(site_id="s1", start=T0, end=T0 + 60) == {"m1": 1.0}


def test_latest_returns_each_meters_newest_point_whole(store: SeriesStore) -> None:
    # The newest point has neither the largest register nor the largest energy, so
    # a per-field max or a mix of two points would show.
    store.write(
        [pt("m1", T0, 50.0, 9.0), pt("m1", T0 + 900, 40.0, 1.0), pt("m1", T0 + 300, 45.0, 8.0), pt("m2", T0 + 60, 7.0, 3.0)]
    )
    assert store.latest() == {"m1": pt("m1", T0 + 900, 40.0, 1.0), "m2": pt("m2", T0 + 60, 7.0, 3.0)}


def test_latest_can_be_limited_to_one_site(store: SeriesStore) -> None:
    store.write([pt("m1", T0, site="s1"), pt("m2", T0 + 60, site="s2")])
    assert list(store.latest(site_id="s2")) == ["m2"]


def test_an_empty_category_round_trips(store: SeriesStore) -> None:
    store.write([pt("m1", T0, category="")])
    assert store.points(**EVERYTHING) == [pt("m1", T0, category="")]


AWKWARD_IDS = [
    "with space",
    "with,comma",
    "with=equals",
    "it's",
    'say "hi"',
    "万科城市花园-3号楼",
    "a, b = 'c' \"d\" 电梯",
    "dollar ${x}",
]


@pytest.mark.parametrize("odd", AWKWARD_IDS)
def test_awkward_site_meter_and_category_ids_round_trip(store: SeriesStore, odd: str) -> None:
    point = pt(odd + "-meter", T0, site=odd + "-site", category=odd)
    store.write([point])
    assert store.points(site_id=point.site_id, meter_id=point.meter_id, **EVERYTHING) == [point]
    assert store.energy_by_meter(site_id=point.site_id, **EVERYTHING) == {point.meter_id: point.energy}
    assert store.latest(site_id=point.site_id) == {point.meter_id: point}


HOSTILE_IDS = [
    "x' OR site = 's1",
    "x' OR '1'='1",
    "x\\' OR site = 's1",
    'x" or r.site == "s1',
    "x'; DROP DATABASE kilowatch; --",
    "x\nSELECT",
]


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_a_hostile_site_id_matches_only_itself(store: SeriesStore, hostile: str) -> None:
    store.write([pt("m1", T0, site="s1")])
    assert store.points(site_id=hostile, **EVERYTHING) == []
    assert store.points(meter_id=hostile, **EVERYTHING) == []
    assert store.energy_by_meter(site_id=hostile, **EVERYTHING) == {}
    assert store.latest(site_id=hostile) == {}
    assert len(store.points(**EVERYTHING)) == 1


def test_twenty_thousand_points_round_trip_exactly(store: SeriesStore) -> None:
    rng = random.Random(20_000)
    written = [
        pt(f"m{m:02d}", T0 + 60 * i, register=round(rng.uniform(0, 1e6), 3), energy=rng.uniform(0, 5))
        for m in range(20)
        for i in range(1000)
    ]
    store.write(rng.sample(written, len(written)))
    assert store.points(**EVERYTHING) == written


def test_an_empty_write_is_a_no_op(store: SeriesStore) -> None:
    store.write([])
    assert store.points(**EVERYTHING) == []


def test_ping_returns_when_the_store_answers(store: SeriesStore) -> None:
    store.ping()


def test_an_empty_write_does_not_reach_for_the_server(unreachable_store: SeriesStore) -> None:
    unreachable_store.write([])


def test_ping_against_a_closed_port_raises_store_unavailable_quickly(unreachable_store: SeriesStore) -> None:
    began = time.monotonic()
    with pytest.raises(StoreUnavailable):
        unreachable_store.ping()
    assert time.monotonic() - began < 5


def test_write_against_a_closed_port_raises_store_unavailable_quickly(unreachable_store: SeriesStore) -> None:
    began = time.monotonic()
    with pytest.raises(StoreUnavailable):
        unreachable_store.write([pt("m1", T0)])
    assert time.monotonic() - began < 5
