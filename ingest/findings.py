"""Data findings ingest raises (resets, rollovers, late readings) and their table rows."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from core.db.tables import DataFindingRecord

log = logging.getLogger(__name__)

SOURCE = "ingest"
REGISTER_RESET = "register_reset"
REGISTER_ROLLOVER = "register_rollover"
OUT_OF_ORDER = "out_of_order"
STALE_METER = "stale_meter"
#: Findings held in memory while the database is unavailable; beyond this the oldest are
#: dropped (and counted): findings describe the data, losing some never loses readings.
MAX_UNSAVED = 10_000
#: Seconds between saves: one transaction per second at most, however many resets a storm
#: of batches brings.
FLUSH_INTERVAL_S = 1.0


@dataclass(frozen=True, slots=True)
class Finding:
    """One data-quality event of one meter, ready to become a ``DataFindingRecord``."""

    site_id: str
    meter_id: str
    kind: str
    started_at: int
    ended_at: int | None
    detail: dict = field(default_factory=dict)

    @property
    def open(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True, slots=True)
class Closing:
    """An open finding that ended: the meter spoke again at ``ended_at``."""

    meter_id: str
    kind: str
    started_at: int
    ended_at: int


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> None:
    """Insert rows, skipping any (meter, kind, started_at) already recorded by anyone."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(DataFindingRecord).values(rows).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(DataFindingRecord).values(rows).on_conflict_do_nothing())
    else:  # pragma: no cover - the two supported databases are handled above
        existing = set(session.execute(select(DataFindingRecord.meter_id, DataFindingRecord.kind, DataFindingRecord.started_at)))
        session.add_all(DataFindingRecord(**r) for r in rows if (r["meter_id"], r["kind"], r["started_at"]) not in existing)


def save_findings(sessions: sessionmaker[Session], findings: Sequence[Finding], closings: Sequence[Closing], now: int) -> None:
    """Record new findings and close ended ones in one transaction; raises ``SQLAlchemyError``."""
    if not findings and not closings:
        return
    with sessions.begin() as session:
        if findings:
            rows = [
                {
                    "site_id": f.site_id,
                    "meter_id": f.meter_id,
                    "kind": f.kind,
                    "started_at": f.started_at,
                    "ended_at": f.ended_at,
                    "open": f.open,
                    "detail": json.dumps(f.detail, sort_keys=True),
                    "source": SOURCE,
                    "created_at": now,
                    "updated_at": now,
                }
                for f in findings
            ]
            # Bounded statements: SQLite allows 32k bound parameters, rows take 10 each.
            for start in range(0, len(rows), 1000):
                _insert_ignoring_duplicates(session, rows[start : start + 1000])
        for c in closings:
            session.execute(
                update(DataFindingRecord)
                .where(
                    DataFindingRecord.meter_id == c.meter_id,
                    DataFindingRecord.kind == c.kind,
                    DataFindingRecord.started_at == c.started_at,
                    DataFindingRecord.open.is_(True),
                )
                .values(open=False, ended_at=c.ended_at, updated_at=now)
            )


def open_findings(sessions: sessionmaker[Session], kind: str) -> dict[str, int]:
    """Meter -> started_at of every open ingest finding of ``kind``; raises ``SQLAlchemyError``."""
    with sessions() as session:
        rows = session.execute(
            select(DataFindingRecord.meter_id, DataFindingRecord.started_at).where(
                DataFindingRecord.kind == kind, DataFindingRecord.open.is_(True), DataFindingRecord.source == SOURCE
            )
        )
        return {meter: started for meter, started in rows}


class FindingBacklog:
    """Findings and closings waiting to be saved; a failed save keeps them for the next one."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], float], on_saved: Callable[[Finding], None]) -> None:
        self._sessions = sessions
        self._clock = clock
        self._on_saved = on_saved
        self._findings: list[Finding] = []
        self._closings: list[Closing] = []
        self._next_flush = 0.0

    def add(self, findings: Sequence[Finding], closings: Sequence[Closing] = ()) -> None:
        self._findings.extend(findings)
        self._closings.extend(closings)

    def flush(self, force: bool = False) -> None:
        """Save what is waiting, at most once per ``FLUSH_INTERVAL_S`` unless ``force``; never raises."""
        if not (self._findings or self._closings) or (not force and time.monotonic() < self._next_flush):
            return
        self._next_flush = time.monotonic() + FLUSH_INTERVAL_S
        try:
            save_findings(self._sessions, self._findings, self._closings, int(self._clock()))
        except SQLAlchemyError as exc:
            # Findings never hold up readings: keep a bounded backlog and try again later.
            log.warning("cannot record %d data findings yet: %s", len(self._findings) + len(self._closings), exc)
            del self._findings[:-MAX_UNSAVED]
            return
        for finding in self._findings:
            self._on_saved(finding)
        self._findings, self._closings = [], []
