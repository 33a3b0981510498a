"""Aggregate reads of the embedded store: whole days and months from its rollups, partial days from raw points."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from core.calendar import HOME_TIMEZONE, month_of, next_month, whole_home_days
from core.store.daily import (
    NETTING_INTERVAL_S,
    DayEnergy,
    MeterSum,
    SegmentEnergy,
    import_from_quarters,
    segment_rows,
    sum_for,
)
from core.store.embedded_rollups import DAY_SQL, GAS_IN, QUARTER_COLUMNS, chunks
from core.store.segment_plan import plan_segments

_ZONE = ZoneInfo(HOME_TIMEZONE)
_Q = NETTING_INTERVAL_S


def _edges(start: int, end: int, first: int, last: int) -> list[tuple[int, int]]:
    if first >= last:
        return [(start, end)]
    return [(lo, hi) for lo, hi in ((start, first), (last, end)) if lo < hi]


def days(db: sqlite3.Connection, start: int, end: int, site_id: str | None) -> list[DayEnergy]:
    """``SeriesStore.energy_by_day`` in Asia/Shanghai from the rollup plus raw points on partial edge days."""
    first, last = whole_home_days(start, end)
    site_test, site_args = (" AND site_id = ?", [site_id]) if site_id is not None else ("", [])
    rows: list[tuple] = []
    if first < last:
        rows += db.execute(
            "SELECT site_id, meter_id, category, day, energy, readings FROM energy_day "
            f"WHERE day >= ? AND day < ?{site_test} AND readings > 0",
            [first, last, *site_args],
        ).fetchall()
    for lo, hi in _edges(start, end, first, last):
        rows += db.execute(
            f"SELECT site_id, meter_id, MAX(category), {DAY_SQL} AS d, SUM(energy), COUNT(*) FROM energy "
            f"WHERE ts >= ? AND ts < ?{site_test} GROUP BY site_id, meter_id, d",
            [lo, hi, *site_args],
        ).fetchall()
    return sorted(DayEnergy(*row) for row in rows)


def grid_import(db: sqlite3.Connection, start: int, end: int, site_ids: Sequence[str]) -> dict[tuple[str, int], float]:
    """``SeriesStore.grid_import_by_day`` in Asia/Shanghai from the rollup plus raw points on partial edge days."""
    first, last = whole_home_days(start, end)
    result: dict[tuple[str, int], float] = {}
    for chunk in chunks(list(site_ids)):
        marks = ",".join("?" for _ in chunk)
        if first < last:
            for site, day, value in db.execute(
                f"SELECT site_id, day, grid_import FROM site_day_import WHERE day >= ? AND day < ? AND site_id IN ({marks})",
                [first, last, *chunk],
            ):
                result[(site, day)] = max(0.0, value)
        for lo, hi in _edges(start, end, first, last):
            quarters = db.execute(
                f"SELECT site_id, ts - ts % {_Q} AS b, {QUARTER_COLUMNS} FROM energy "
                f"WHERE ts >= ? AND ts < ? AND site_id IN ({marks}) AND category NOT IN {GAS_IN} GROUP BY site_id, b",
                [lo, hi, *chunk],
            ).fetchall()
            result.update(import_from_quarters(quarters, HOME_TIMEZONE))
    return result


def _site_filter(column: str, site_ids: Sequence[str] | None) -> tuple[str, list]:
    if site_ids is None:
        return "", []
    return f" AND {column} IN ({','.join('?' for _ in site_ids)})", list(site_ids)


def segments(db: sqlite3.Connection, bounds: Sequence[int], site_ids: Sequence[str] | None) -> list[SegmentEnergy]:
    """``SeriesStore.energy_by_segment`` in Asia/Shanghai: whole days summed in SQL from the rollup, pieces from raw."""
    plan = plan_segments(bounds, _ZONE)
    rows: dict[tuple[str, str, int], MeterSum] = {}
    month_parts, day_parts = _by_month(plan.whole)
    test, args = _site_filter("d.site_id", site_ids)
    if month_parts and all(hi == next_month(lo) for _i, lo, hi in month_parts):
        # Each part is one month: its rows are unique per meter, so no GROUP BY (and no
        # temporary b-tree) is needed; a portfolio month reads ~10 rows per site this way.
        fetched: list[tuple] = []
        for chunk in chunks(month_parts, 300):
            values = ",".join("(?, ?)" for _ in chunk)
            fetched += db.execute(
                f"WITH seg(i, m) AS (VALUES {values}) "
                "SELECT d.site_id, d.meter_id, d.category, seg.i, d.energy, d.readings, d.busiest_day "
                f"FROM seg JOIN energy_month d ON d.month = seg.m{test}",
                [v for i, lo, _hi in chunk for v in (i, lo)] + args,
            ).fetchall()
        if not day_parts and not plan.partial:
            # Whole single months only: one row per (site, meter, segment) already.
            return sorted(SegmentEnergy(*row) for row in fetched if row[5] > 0)
        for site, meter, category, i, energy, readings, busiest in fetched:
            sum_for(rows, (site, meter, i), category).add(energy, readings, busiest)
        month_parts = []
    for table, key, busiest_column, parts in (
        ("energy_month", "month", "MAX(d.busiest_day)", month_parts),
        ("energy_day", "day", "MAX(d.readings)", day_parts),
    ):
        for chunk in chunks(parts, 300):
            values = ",".join("(?, ?, ?)" for _ in chunk)
            for site, meter, category, i, energy, readings, busiest in db.execute(
                f"WITH seg(i, lo, hi) AS (VALUES {values}) "
                f"SELECT d.site_id, d.meter_id, MAX(d.category), seg.i, SUM(d.energy), SUM(d.readings), {busiest_column} "
                f"FROM seg JOIN {table} d ON d.{key} >= seg.lo AND d.{key} < seg.hi{test} "
                "GROUP BY d.site_id, d.meter_id, seg.i",
                [v for part in chunk for v in part] + args,
            ):
                sum_for(rows, (site, meter, i), category).add(energy, readings, busiest)
    for i, lo, hi in plan.partial:
        test, args = _site_filter("site_id", site_ids)
        for site, meter, category, energy, readings in db.execute(
            "SELECT site_id, meter_id, MAX(category), SUM(energy), COUNT(*) FROM energy "
            f"WHERE ts >= ? AND ts < ?{test} GROUP BY site_id, meter_id",
            [lo, hi, *args],
        ):
            sum_for(rows, (site, meter, i), category).add(energy, readings)
    return segment_rows(rows)


def _by_month(whole: list[tuple[int, int, int]]) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """Whole-day parts split into whole local months (read from energy_month) and leftover days."""
    months: list[tuple[int, int, int]] = []
    days: list[tuple[int, int, int]] = []
    for i, lo, hi in whole:
        first = month_of(lo)
        if first < lo:
            first = next_month(first)
        last = month_of(hi)
        if first >= last:
            days.append((i, lo, hi))
            continue
        months.append((i, first, last))
        days += [(i, a, b) for a, b in ((lo, first), (last, hi)) if a < b]
    return months, days


def segment_imports(db: sqlite3.Connection, bounds: Sequence[int], site_ids: Sequence[str]) -> dict[tuple[str, int], float]:
    """``SeriesStore.grid_import_by_segment`` in Asia/Shanghai from the rollup plus raw pieces."""
    plan = plan_segments(bounds, _ZONE)
    result: dict[tuple[str, int], float] = {}
    test, args = _site_filter("d.site_id", site_ids)
    for chunk in chunks(plan.whole, 300):
        values = ",".join("(?, ?, ?)" for _ in chunk)
        for site, i, kwh in db.execute(
            f"WITH seg(i, lo, hi) AS (VALUES {values}) SELECT d.site_id, seg.i, SUM(MAX(0.0, d.grid_import)) "
            f"FROM seg JOIN site_day_import d ON d.day >= seg.lo AND d.day < seg.hi{test} GROUP BY d.site_id, seg.i",
            [v for part in chunk for v in part] + args,
        ):
            result[(site, i)] = kwh
    raw_test, raw_args = _site_filter("site_id", site_ids)
    for i, lo, hi in plan.partial:
        quarters = db.execute(
            f"SELECT site_id, ts - ts % {_Q} AS b, {QUARTER_COLUMNS} FROM energy "
            f"WHERE ts >= ? AND ts < ?{raw_test} AND category NOT IN {GAS_IN} GROUP BY site_id, b",
            [lo, hi, *raw_args],
        ).fetchall()
        for (site, _day), kwh in import_from_quarters(quarters, HOME_TIMEZONE).items():
            result[(site, i)] = result.get((site, i), 0.0) + kwh
    return result
