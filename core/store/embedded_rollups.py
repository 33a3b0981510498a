"""Rollups of the embedded store, kept on write: energy per meter and day and month, grid import per site and day.

They let a year of carbon totals read ~12 rows per meter instead of ~35,000 raw points.
Days are home days (``core.calendar``: Asia/Shanghai, UTC+8, no daylight saving since 1991);
queries in another zone fall back to the raw points.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

from core.calendar import DAY_S, HOME_OFFSET_S, HOME_TIMEZONE, day_of, month_of, next_month, whole_home_days
from core.store.daily import (
    GAS_CATEGORY_VALUES,
    GENERATION_CATEGORY_VALUES,
    NETTING_INTERVAL_S,
    DayEnergy,
    MeterSum,
    QuarterSum,
    SegmentEnergy,
    import_from_quarters,
    segment_rows,
    sum_for,
)
from core.store.segment_plan import plan_segments

#: Bump when the rollup tables change meaning: opening the store rebuilds them from raw points.
ROLLUP_VERSION = 2
_ZONE = ZoneInfo(HOME_TIMEZONE)
_Q = NETTING_INTERVAL_S
#: Key pairs per VALUES list: 2 variables each stays under SQLite's older 999-variable limit.
_CHUNK = 400

_SCHEMA = """
CREATE TABLE IF NOT EXISTS energy_day (
    day INTEGER NOT NULL,
    site_id TEXT NOT NULL,
    meter_id TEXT NOT NULL,
    category TEXT NOT NULL,
    energy REAL NOT NULL,
    readings INTEGER NOT NULL,
    PRIMARY KEY (day, site_id, meter_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS energy_day_site ON energy_day (site_id, day);
CREATE TABLE IF NOT EXISTS energy_month (
    month INTEGER NOT NULL,
    site_id TEXT NOT NULL,
    meter_id TEXT NOT NULL,
    category TEXT NOT NULL,
    energy REAL NOT NULL,
    readings INTEGER NOT NULL,
    busiest_day INTEGER NOT NULL,
    PRIMARY KEY (month, site_id, meter_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS site_quarter (
    site_id TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    consumed REAL NOT NULL,
    generated REAL NOT NULL,
    PRIMARY KEY (site_id, bucket)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS site_day_import (
    site_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    grid_import REAL NOT NULL,
    PRIMARY KEY (site_id, day)
) WITHOUT ROWID;
"""


def _in(values: frozenset[str]) -> str:
    return "(" + ",".join("'" + v.replace("'", "''") + "'" for v in sorted(values)) + ")"


_GEN = _in(GENERATION_CATEGORY_VALUES)
_GAS = _in(GAS_CATEGORY_VALUES)
_DAY_SQL = f"((ts + {HOME_OFFSET_S}) / {DAY_S} * {DAY_S} - {HOME_OFFSET_S})"
# Local month start of a rollup day: shift to local time, take the month's first date, shift back.
_MONTH_SQL = f"(CAST(strftime('%s', date(day + {HOME_OFFSET_S}, 'unixepoch', 'start of month')) AS INTEGER) - {HOME_OFFSET_S})"
_QUARTER_COLUMNS = (
    f"SUM(CASE WHEN category IN {_GEN} THEN 0 ELSE energy END), SUM(CASE WHEN category IN {_GEN} THEN energy ELSE 0 END)"
)


def ensure(db: sqlite3.Connection) -> None:
    """Create the rollup tables, and (re)build them from raw points when they are missing or stale."""
    db.executescript(_SCHEMA)
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] < ROLLUP_VERSION:
            db.execute("DELETE FROM energy_day")
            db.execute("DELETE FROM energy_month")
            db.execute("DELETE FROM site_quarter")
            db.execute("DELETE FROM site_day_import")
            db.execute(
                f"INSERT INTO energy_day SELECT {_DAY_SQL}, site_id, meter_id, MAX(category), SUM(energy), COUNT(*) "
                f"FROM energy GROUP BY 1, site_id, meter_id"
            )
            db.execute(
                f"INSERT INTO energy_month SELECT {_MONTH_SQL}, site_id, meter_id, MAX(category), SUM(energy), "
                "SUM(readings), MAX(readings) FROM energy_day GROUP BY 1, site_id, meter_id"
            )
            db.execute(
                f"INSERT INTO site_quarter SELECT site_id, ts - ts % {_Q}, {_QUARTER_COLUMNS} "
                f"FROM energy WHERE category NOT IN {_GAS} GROUP BY site_id, ts - ts % {_Q}"
            )
            db.execute(
                f"INSERT INTO site_day_import SELECT site_id, (bucket + {HOME_OFFSET_S}) / {DAY_S} * {DAY_S} - {HOME_OFFSET_S}, "
                f"SUM(MAX(0.0, consumed - generated)) FROM site_quarter GROUP BY 1, 2"
            )
            db.execute(f"PRAGMA user_version = {ROLLUP_VERSION}")
        db.commit()
    except BaseException:
        db.rollback()
        raise


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _existing(db: sqlite3.Connection, rows: Sequence[tuple]) -> list[tuple]:
    """(meter, ts, site, category, energy) of stored points that ``rows`` will replace."""
    found: list[tuple] = []
    for chunk in _chunks(rows):
        values = ",".join("(?, ?)" for _ in chunk)
        args = [v for row in chunk for v in (row[0], row[1])]
        found += db.execute(
            f"WITH k(m, t) AS (VALUES {values}) SELECT e.meter_id, e.ts, e.site_id, e.category, e.energy "
            "FROM energy e JOIN k ON e.meter_id = k.m AND e.ts = k.t",
            args,
        ).fetchall()
    return found


def apply(db: sqlite3.Connection, rows: Sequence[tuple]) -> None:
    """Update the rollups for raw rows (meter, ts, site, category, register, energy) about to be upserted.

    Runs inside the caller's transaction, before the raw upsert: replaced points are
    subtracted, new ones added, so rewriting a point never counts it twice.
    """
    days: dict[tuple[int, str, str], MeterSum] = {}
    quarters: dict[tuple[str, int], QuarterSum] = {}

    def add(meter: str, ts: int, site: str, category: str, energy: float, sign: int) -> None:
        sum_for(days, (day_of(ts), site, meter), category).add(sign * energy, sign)
        if category not in GAS_CATEGORY_VALUES:
            key = (site, ts - ts % _Q)
            quarters.setdefault(key, QuarterSum()).add(category, sign * energy)

    for meter, ts, site, category, energy in _existing(db, rows):
        add(meter, ts, site, category, energy, -1)
    for meter, ts, site, category, _register, energy in rows:
        add(meter, ts, site, category, energy, +1)

    _apply_days(db, days)
    if quarters:
        _apply_quarters(db, quarters)


def _apply_days(db: sqlite3.Connection, days: dict[tuple[int, str, str], MeterSum]) -> None:
    keys = list(days)
    before: dict[tuple[int, str, str], int] = {}
    for chunk in _chunks(keys, 300):
        values = ",".join("(?, ?, ?)" for _ in chunk)
        for day, site, meter, readings in db.execute(
            f"WITH k(d, s, m) AS (VALUES {values}) SELECT e.day, e.site_id, e.meter_id, e.readings "
            "FROM energy_day e JOIN k ON e.day = k.d AND e.site_id = k.s AND e.meter_id = k.m",
            [v for key in chunk for v in key],
        ):
            before[(day, site, meter)] = readings
    db.executemany(
        "INSERT INTO energy_day VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, site_id, meter_id) DO UPDATE SET "
        "energy = energy + excluded.energy, readings = readings + excluded.readings",
        [(d, s, m, e.category, e.energy, e.readings) for (d, s, m), e in days.items()],
    )
    # A day's readings only grow (points are never deleted), so the month's busiest day
    # is the larger of the old busiest and the day's new count.
    db.executemany(
        "INSERT INTO energy_month VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (month, site_id, meter_id) DO UPDATE SET "
        "energy = energy + excluded.energy, readings = readings + excluded.readings, "
        "busiest_day = MAX(busiest_day, excluded.busiest_day)",
        [
            (month_of(d), s, m, e.category, e.energy, e.readings, before.get((d, s, m), 0) + e.readings)
            for (d, s, m), e in days.items()
        ],
    )


def _apply_quarters(db: sqlite3.Connection, deltas: dict[tuple[str, int], QuarterSum]) -> None:
    keys = list(deltas)
    old: dict[tuple[str, int], tuple[float, float]] = {}
    for chunk in _chunks(keys):
        values = ",".join("(?, ?)" for _ in chunk)
        args = [v for key in chunk for v in key]
        for site, bucket, consumed, generated in db.execute(
            f"WITH k(s, b) AS (VALUES {values}) SELECT q.site_id, q.bucket, q.consumed, q.generated "
            "FROM site_quarter q JOIN k ON q.site_id = k.s AND q.bucket = k.b",
            args,
        ):
            old[(site, bucket)] = (consumed, generated)
    updated = []
    imports: dict[tuple[str, int], float] = {}
    for key, delta in deltas.items():
        consumed, generated = old.get(key, (0.0, 0.0))
        new_consumed, new_generated = consumed + delta.consumed, generated + delta.generated
        updated.append((key[0], key[1], new_consumed, new_generated))
        change = max(0.0, new_consumed - new_generated) - max(0.0, consumed - generated)
        day_key = (key[0], day_of(key[1]))
        imports[day_key] = imports.get(day_key, 0.0) + change
    db.executemany("INSERT OR REPLACE INTO site_quarter VALUES (?, ?, ?, ?)", updated)
    db.executemany(
        "INSERT INTO site_day_import VALUES (?, ?, ?) ON CONFLICT (site_id, day) DO UPDATE SET "
        "grid_import = grid_import + excluded.grid_import",
        [(s, d, v) for (s, d), v in imports.items()],
    )


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
            f"SELECT site_id, meter_id, MAX(category), {_DAY_SQL} AS d, SUM(energy), COUNT(*) FROM energy "
            f"WHERE ts >= ? AND ts < ?{site_test} GROUP BY site_id, meter_id, d",
            [lo, hi, *site_args],
        ).fetchall()
    return sorted(DayEnergy(*row) for row in rows)


def grid_import(db: sqlite3.Connection, start: int, end: int, site_ids: Sequence[str]) -> dict[tuple[str, int], float]:
    """``SeriesStore.grid_import_by_day`` in Asia/Shanghai from the rollup plus raw points on partial edge days."""
    first, last = whole_home_days(start, end)
    result: dict[tuple[str, int], float] = {}
    for chunk in _chunks(list(site_ids)):
        marks = ",".join("?" for _ in chunk)
        if first < last:
            for site, day, value in db.execute(
                f"SELECT site_id, day, grid_import FROM site_day_import WHERE day >= ? AND day < ? AND site_id IN ({marks})",
                [first, last, *chunk],
            ):
                result[(site, day)] = max(0.0, value)
        for lo, hi in _edges(start, end, first, last):
            quarters = db.execute(
                f"SELECT site_id, ts - ts % {_Q} AS b, {_QUARTER_COLUMNS} FROM energy "
                f"WHERE ts >= ? AND ts < ? AND site_id IN ({marks}) AND category NOT IN {_GAS} GROUP BY site_id, b",
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
        for chunk in _chunks(month_parts, 300):
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
        for chunk in _chunks(parts, 300):
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
    for chunk in _chunks(plan.whole, 300):
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
            f"SELECT site_id, ts - ts % {_Q} AS b, {_QUARTER_COLUMNS} FROM energy "
            f"WHERE ts >= ? AND ts < ?{raw_test} AND category NOT IN {_GAS} GROUP BY site_id, b",
            [lo, hi, *raw_args],
        ).fetchall()
        for (site, _day), kwh in import_from_quarters(quarters, HOME_TIMEZONE).items():
            result[(site, i)] = result.get((site, i), 0.0) + kwh
    return result
