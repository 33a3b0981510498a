"""Rollups of the embedded store, kept on write: energy per meter and day and month, grid import per site and day.

They let a year of carbon totals read ~12 rows per meter instead of ~35,000 raw points
(``core.store.embedded_reads`` reads them).
Days are home days (``core.calendar``: Asia/Shanghai, UTC+8, no daylight saving since 1991);
queries in another zone fall back to the raw points.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

from core.calendar import DAY, HOME_UTC_OFFSET_S, day_of, month_of
from core.store.daily import (
    GAS_CATEGORY_VALUES,
    GENERATION_CATEGORY_VALUES,
    NETTING_INTERVAL_S,
    MeterSum,
    QuarterSum,
    sum_for,
)

#: Bump when the rollup tables change meaning: opening the store rebuilds them from raw points.
ROLLUP_VERSION = 2
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


# SQL fragments the rebuild here and the raw edge reads (``embedded_reads``) share.
_GEN = _in(GENERATION_CATEGORY_VALUES)
#: ``(...)`` list of the gas categories, for ``category NOT IN``.
GAS_IN = _in(GAS_CATEGORY_VALUES)
#: Home midnight of a raw point's ``ts``.
DAY_SQL = f"((ts + {HOME_UTC_OFFSET_S}) / {DAY} * {DAY} - {HOME_UTC_OFFSET_S})"
# Local month start of a rollup day: shift to local time, take the month's first date, shift back.
_MONTH_SQL = (
    f"(CAST(strftime('%s', date(day + {HOME_UTC_OFFSET_S}, 'unixepoch', 'start of month')) AS INTEGER) - {HOME_UTC_OFFSET_S})"
)
#: Consumed and generated energy of raw rows grouped by quarter hour.
QUARTER_COLUMNS = (
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
                f"INSERT INTO energy_day SELECT {DAY_SQL}, site_id, meter_id, MAX(category), SUM(energy), COUNT(*) "
                f"FROM energy GROUP BY 1, site_id, meter_id"
            )
            db.execute(
                f"INSERT INTO energy_month SELECT {_MONTH_SQL}, site_id, meter_id, MAX(category), SUM(energy), "
                "SUM(readings), MAX(readings) FROM energy_day GROUP BY 1, site_id, meter_id"
            )
            db.execute(
                f"INSERT INTO site_quarter SELECT site_id, ts - ts % {_Q}, {QUARTER_COLUMNS} "
                f"FROM energy WHERE category NOT IN {GAS_IN} GROUP BY site_id, ts - ts % {_Q}"
            )
            db.execute(
                f"INSERT INTO site_day_import SELECT site_id, (bucket + {HOME_UTC_OFFSET_S}) / {DAY} * {DAY} - {HOME_UTC_OFFSET_S}, "
                f"SUM(MAX(0.0, consumed - generated)) FROM site_quarter GROUP BY 1, 2"
            )
            db.execute(f"PRAGMA user_version = {ROLLUP_VERSION}")
        db.commit()
    except BaseException:
        db.rollback()
        raise


def chunks(items: Sequence, size: int = _CHUNK) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _existing(db: sqlite3.Connection, rows: Sequence[tuple]) -> list[tuple]:
    """(meter, ts, site, category, energy) of stored points that ``rows`` will replace."""
    found: list[tuple] = []
    for chunk in chunks(rows):
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
    for chunk in chunks(keys, 300):
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
    for chunk in chunks(keys):
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
