"""Aggregates stay equal to the raw computation after late, duplicate and replayed writes, on every backend."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.store import SeriesStore
from core.store.daily import days_from_points, import_from_points
from tests.store.points import pt

ZONE = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> int:
    return int(datetime(*args, tzinfo=ZONE).timestamp())


def _readings(seed: int, start: int, days: int, site: str = "s1") -> list:
    rng = random.Random(seed)
    return [
        pt(f"{site}-{meter}", start + 900 * i + rng.randint(0, 30), energy=round(rng.uniform(0, 3), 3), site=site, category=category)
        for meter, category in (("load", "public_hvac"), ("pv", "pv"), ("gas", "gas"))
        for i in range(days * 96)
        if rng.random() > 0.1
    ]


def _latest_by_key(*batches: list) -> list:
    kept = {}
    for batch in batches:
        for p in batch:
            kept[(p.meter_id, p.ts)] = p
    return list(kept.values())


def _assert_matches(store: SeriesStore, written: list, bounds: list[int], sites: list[str]) -> None:
    rows = {(r.site_id, r.meter_id, r.segment): r for r in store.energy_by_segment(bounds=bounds, site_ids=sites)}
    for i in range(len(bounds) - 1):
        inside = [p for p in written if bounds[i] <= p.ts < bounds[i + 1] and p.site_id in sites]
        for key, day_rows in _by_meter(inside).items():
            row = rows.pop((*key, i))
            assert row.readings == sum(d.readings for d in day_rows)
            assert row.energy == pytest.approx(sum(d.energy for d in day_rows))
        imports = store.grid_import_by_segment(bounds=bounds, site_ids=sites)
        for site in sites:
            reference = import_from_points(inside, [site])
            if reference:
                assert imports[(site, i)] == pytest.approx(sum(reference.values()))
    assert rows == {}


def _by_meter(points: list) -> dict:
    grouped: dict = {}
    for d in days_from_points(points):
        grouped.setdefault((d.site_id, d.meter_id), []).append(d)
    return grouped


def test_late_points_into_days_already_summed_change_the_totals(store: SeriesStore) -> None:
    first = _readings(1, local(2026, 1, 1), 40)
    store.write(first)
    bounds = [local(2026, 1, 1), local(2026, 2, 1), local(2026, 2, 10)]
    _assert_matches(store, first, bounds, ["s1"])  # sums what was there (and keeps rollups of it)
    late = [pt("s1-load", local(2026, 1, 15, 3, 7), energy=40.0, category="public_hvac"),
            pt("s1-pv", local(2026, 2, 3, 12, 1), energy=99.0, category="pv")]
    store.write(late)
    _assert_matches(store, first + late, bounds, ["s1"])


def test_a_replayed_batch_and_rewritten_points_count_once_with_their_last_values(store: SeriesStore) -> None:
    batch = _readings(2, local(2026, 1, 1), 35)
    store.write(batch)
    bounds = [local(2026, 1, 1), local(2026, 2, 1)]
    _assert_matches(store, batch, bounds, ["s1"])
    store.write(batch)  # a spool replay
    changed = [p._replace(energy=p.energy + 1.0) for p in batch[::50]]
    store.write(changed)  # reconciliation rewrites some points
    _assert_matches(store, _latest_by_key(batch, changed), bounds, ["s1"])


def test_only_the_wanted_sites_are_summed_and_each_site_keeps_its_own(store: SeriesStore) -> None:
    a, b = _readings(3, local(2026, 1, 1), 31, site="a"), _readings(4, local(2026, 1, 1), 31, site="b")
    store.write(a + b)
    bounds = [local(2026, 1, 1), local(2026, 2, 1)]
    _assert_matches(store, a + b, bounds, ["b"])
    _assert_matches(store, a + b, bounds, ["a", "b"])
    late = pt("b-load", local(2026, 1, 9, 9), energy=7.0, site="b", category="public_hvac")
    store.write([late])
    _assert_matches(store, a + b + [late], bounds, ["a", "b"])
