"""Aggregates stay equal to the raw computation after late, duplicate and replayed writes, on every backend;
late history, as ingest places it, counts its register rise once."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.db.session import create_db_engine, migrate, session_factory
from core.domain import Meter, MeterCategory, Reading, Site, SiteType
from core.settings import IngestSettings
from core.store import SeriesStore
from core.store.daily import days_from_points, import_from_points
from core.store.neighbours import around
from ingest.processor import Admitted, BatchProcessor
from ingest.validation import MeterDirectory
from tests.store.points import pt

ZONE = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> int:
    return int(datetime(*args, tzinfo=ZONE).timestamp())


def _readings(seed: int, start: int, days: int, site: str = "s1") -> list:
    rng = random.Random(seed)
    return [
        pt(
            f"{site}-{meter}",
            start + 900 * i + rng.randint(0, 30),
            energy=round(rng.uniform(0, 3), 3),
            site=site,
            category=category,
        )
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
    late = [
        pt("s1-load", local(2026, 1, 15, 3, 7), energy=40.0, category="public_hvac"),
        pt("s1-pv", local(2026, 2, 3, 12, 1), energy=99.0, category="pv"),
    ]
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


# --- late history, as ingest stores it -----------------------------------------------
#
# Gateways upload buffered history after newer readings are stored. Ingest finds each late
# reading's stored neighbours with ``core.store.neighbours.around`` and rewrites the point
# after the late block; every backend must give the neighbours and fold the rewrite into its
# sums, so that the span counts register(last) - register(first) once.

HISTORY_SITE = Site("hs", "History site", SiteType.OFFICE, "Shanghai", "Shanghai", 31.2, 121.5)
HVAC = Meter("hs-hvac", "hs", MeterCategory.PUBLIC_HVAC, 30.0)
QUARTER = 900


@pytest.fixture
def processor(store: SeriesStore, tmp_path) -> Iterator[BatchProcessor]:
    """Ingest's batch processor on ``store``, its registry knowing HISTORY_SITE."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    migrate(engine)
    directory = MeterDirectory(session_factory(engine))
    directory.announce(HISTORY_SITE, [HVAC])
    settings = IngestSettings(max_age_s=20 * 365 * 86400)
    yield BatchProcessor(settings, store, directory, lambda _what, operation: operation(), lambda: local(2026, 3, 1), "kw/v1")
    engine.dispose()


def _ingest(processor: BatchProcessor, store: SeriesStore, readings: list[tuple[int, float]]) -> None:
    admitted = [Admitted(Reading(HVAC.site_id, HVAC.meter_id, ts, register), HVAC, ts, None) for ts, register in readings]
    processor.tracker.begin()
    plan = processor.compute(admitted, shared=False)
    store.write(list(plan.points.values()))
    processor.tracker.commit()


def _span_sums(store: SeriesStore, start: int, end: int) -> tuple[float, float, float]:
    """The meter's energy over [start, end) by meter, by day and by segment."""
    by_meter = store.energy_by_meter(site_id=HVAC.site_id, start=start, end=end).get(HVAC.meter_id, 0.0)
    by_day = sum(d.energy for d in store.energy_by_day(start=start, end=end, site_id=HVAC.site_id))
    by_segment = sum(s.energy for s in store.energy_by_segment(bounds=[start, end], site_ids=[HVAC.site_id]))
    return by_meter, by_day, by_segment


def test_around_gives_the_points_of_a_span_and_its_nearest_neighbours_however_far(store: SeriesStore) -> None:
    t = local(2026, 1, 10)
    far_before, near_after = pt("m1", t - 40 * 86400, 1.0), pt("m1", t + 3 * 86400, 5.0)
    store.write(
        [
            pt("m1", t - 50 * 86400, 0.5),
            far_before,
            pt("m1", t, 2.0),
            pt("m1", t + 60, 3.0),
            near_after,
            pt("m1", t + 9 * 86400, 6.0),
            pt("m2", t - 60, 9.0),
            pt("m2", t + 120, 9.0),
        ]
    )

    assert around(store, meter_id="m1", start=t, end=t + 61) == [far_before, pt("m1", t, 2.0), pt("m1", t + 60, 3.0), near_after]
    assert around(store, meter_id="m1", start=t + 1, end=t + 60, until=t + 86400) == [pt("m1", t, 2.0), pt("m1", t + 60, 3.0)]
    assert around(store, meter_id="m3", start=t, end=t + 61) == []


def test_history_older_than_every_stored_reading_counts_its_register_rise_once(
    store: SeriesStore, processor: BatchProcessor
) -> None:
    nine_pm = local(2026, 2, 1, 21)
    _ingest(processor, store, [(nine_pm + 4 * QUARTER, 110.0)])  # 22:00 first: nothing before it
    day = [local(2026, 2, 1), local(2026, 2, 2)]
    assert _span_sums(store, *day) == (0.0, 0.0, 0.0)  # summed (and rolled up) before the history arrives

    _ingest(processor, store, [(nine_pm + i * QUARTER, r) for i, r in enumerate([100.0, 102.0, 105.0, 108.0])])

    assert [p.energy for p in store.points(start=day[0], end=day[1], meter_id=HVAC.meter_id)] == pytest.approx(
        [0.0, 2.0, 3.0, 3.0, 2.0]
    )
    assert _span_sums(store, *day) == pytest.approx((10.0, 10.0, 10.0))


def test_a_day_of_history_replayed_behind_newer_readings_counts_once_across_days(
    store: SeriesStore, processor: BatchProcessor
) -> None:
    start = local(2026, 2, 3)
    registers = [round(5000.0 + 1.25 * i + (i % 7) * 0.1, 3) for i in range(3 * 96)]
    series = [(start + i * QUARTER, r) for i, r in enumerate(registers)]
    _ingest(processor, store, series[:20])  # the day before the outage
    _ingest(processor, store, series[2 * 96 :])  # the gateway is back: today
    _span_sums(store, start, start + 3 * 86400)

    _ingest(processor, store, series[20 : 2 * 96])  # ... then uploads what it buffered

    assert _span_sums(store, start, start + 3 * 86400) == pytest.approx((registers[-1] - registers[0],) * 3)
    for lo in (start, start + 86400, start + 2 * 86400):
        inside = [r for ts, r in series if lo <= ts < lo + 86400]
        before = [r for ts, r in series if ts < lo]
        expected = inside[-1] - (before[-1] if before else inside[0])
        assert _span_sums(store, lo, lo + 86400) == pytest.approx((expected,) * 3)
