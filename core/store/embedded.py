"""The embedded store: a SQLite file, for the demo and single-machine installs."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from core.calendar import home_days_match
from core.domain import EnergyPoint
from core.store import embedded_reads as reads, embedded_rollups as rollup
from core.store.base import StoreRejected, StoreUnavailable
from core.store.daily import (
    DEFAULT_TIMEZONE,
    DayEnergy,
    SegmentEnergy,
    days_from_points,
    import_from_points,
)
from core.store.segment_plan import imports_via_days, segments_via_days

_SCHEMA = """
CREATE TABLE IF NOT EXISTS energy (
    meter_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    site_id TEXT NOT NULL,
    category TEXT NOT NULL,
    register REAL NOT NULL,
    energy REAL NOT NULL,
    PRIMARY KEY (meter_id, ts)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS energy_site_ts ON energy (site_id, ts);
"""


class EmbeddedStore:
    """SQLite-backed ``SeriesStore``; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            # WAL lets readers (API, detector) run while the ingest writes.
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable across process crashes in WAL mode (only power loss can
            # lose the last transactions); FULL would halve write throughput.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            rollup.ensure(self._db)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open embedded store {self.path}: {exc}") from exc

    def write(self, points: Sequence[EnergyPoint]) -> None:
        if not points:
            return
        # The last of a repeated key wins, as INSERT OR REPLACE would have it.
        latest = {(p.meter_id, int(p.ts)): p for p in points}
        rows = [(p.meter_id, ts, p.site_id, p.category, float(p.register), float(p.energy)) for (_m, ts), p in latest.items()]
        try:
            with self._lock, self._db:
                # Rollups are kept in the same transaction: a reader never sees one without the other.
                rollup.apply(self._db, rows)
                self._db.executemany("INSERT OR REPLACE INTO energy VALUES (?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.IntegrityError as exc:
            raise StoreRejected(str(exc)) from exc
        except sqlite3.Error as exc:
            raise StoreUnavailable(str(exc)) from exc

    def _select(self, sql: str, args: Sequence[object]) -> list[tuple]:
        try:
            with self._lock:
                return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(str(exc)) from exc

    def points(
        self,
        *,
        start: int,
        end: int,
        site_id: str | None = None,
        meter_id: str | None = None,
    ) -> list[EnergyPoint]:
        sql = "SELECT site_id, meter_id, category, ts, register, energy FROM energy WHERE ts >= ? AND ts < ?"
        args: list[object] = [start, end]
        if site_id is not None:
            sql += " AND site_id = ?"
            args.append(site_id)
        if meter_id is not None:
            sql += " AND meter_id = ?"
            args.append(meter_id)
        sql += " ORDER BY meter_id, ts"
        return [EnergyPoint(*row) for row in self._select(sql, args)]

    def energy_by_meter(self, *, site_id: str, start: int, end: int) -> dict[str, float]:
        rows = self._select(
            "SELECT meter_id, SUM(energy) FROM energy WHERE site_id = ? AND ts >= ? AND ts < ? GROUP BY meter_id",
            [site_id, start, end],
        )
        return {meter: float(total) for meter, total in rows}

    def energy_by_day(self, *, start: int, end: int, site_id: str | None = None, tz: str = DEFAULT_TIMEZONE) -> list[DayEnergy]:
        if end <= start:
            return []
        if not home_days_match(tz, start, end):
            return days_from_points(self.points(start=start, end=end, site_id=site_id), tz)
        with self._lock:
            try:
                return reads.days(self._db, start, end, site_id)
            except sqlite3.Error as exc:
                raise StoreUnavailable(str(exc)) from exc

    def grid_import_by_day(
        self, *, start: int, end: int, site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
    ) -> dict[tuple[str, int], float]:
        if end <= start or not site_ids:
            return {}
        if not home_days_match(tz, start, end):
            points = [p for site in site_ids for p in self.points(start=start, end=end, site_id=site)]
            return import_from_points(points, site_ids, tz)
        with self._lock:
            try:
                return reads.grid_import(self._db, start, end, site_ids)
            except sqlite3.Error as exc:
                raise StoreUnavailable(str(exc)) from exc

    def energy_by_segment(
        self, *, bounds: Sequence[int], site_ids: Sequence[str] | None = None, tz: str = DEFAULT_TIMEZONE
    ) -> list[SegmentEnergy]:
        if len(bounds) < 2 or site_ids is not None and not site_ids:
            return []
        if not home_days_match(tz, bounds[0], bounds[-1]):
            wanted = set(site_ids) if site_ids is not None else None
            return segments_via_days(
                lambda lo, hi: [r for r in self.energy_by_day(start=lo, end=hi, tz=tz) if wanted is None or r.site_id in wanted],
                bounds,
                tz,
            )
        with self._lock:
            try:
                return reads.segments(self._db, bounds, site_ids)
            except sqlite3.Error as exc:
                raise StoreUnavailable(str(exc)) from exc

    def grid_import_by_segment(
        self, *, bounds: Sequence[int], site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
    ) -> dict[tuple[str, int], float]:
        if len(bounds) < 2 or not site_ids:
            return {}
        if not home_days_match(tz, bounds[0], bounds[-1]):
            return imports_via_days(
                lambda lo, hi: self.grid_import_by_day(start=lo, end=hi, site_ids=site_ids, tz=tz), bounds, tz
            )
        with self._lock:
            try:
                return reads.segment_imports(self._db, bounds, site_ids)
            except sqlite3.Error as exc:
                raise StoreUnavailable(str(exc)) from exc

    def latest(self, *, site_id: str | None = None) -> dict[str, EnergyPoint]:
        sql = (
            "SELECT e.site_id, e.meter_id, e.category, e.ts, e.register, e.energy FROM energy e "
            "JOIN (SELECT meter_id, MAX(ts) AS ts FROM energy GROUP BY meter_id) m "
            "ON e.meter_id = m.meter_id AND e.ts = m.ts"
        )
        args: list[object] = []
        if site_id is not None:
            sql += " WHERE e.site_id = ?"
            args.append(site_id)
        return {row[1]: EnergyPoint(*row) for row in self._select(sql, args)}

    def ping(self) -> None:
        self._select("SELECT 1", [])

    def close(self) -> None:
        with self._lock:
            self._db.close()
