"""Data findings ingest raises (resets, rollovers, late readings) and their table rows."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.data_findings import DataFindingKind, FindingSource, close_finding, finding_row, insert_findings, open_findings

log = logging.getLogger(__name__)

SOURCE = FindingSource.INGEST
#: The kinds ingest finds (core.data_findings holds them all).
REGISTER_RESET = DataFindingKind.REGISTER_RESET
REGISTER_ROLLOVER = DataFindingKind.REGISTER_ROLLOVER
OUT_OF_ORDER = DataFindingKind.OUT_OF_ORDER
STALE_METER = DataFindingKind.STALE_METER
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


def save_findings(sessions: sessionmaker[Session], findings: Sequence[Finding], closings: Sequence[Closing], now: int) -> None:
    """Record new findings and close ended ones in one transaction; raises ``SQLAlchemyError``."""
    if not findings and not closings:
        return
    with sessions.begin() as session:
        if findings:
            insert_findings(
                session,
                [finding_row(f.site_id, f.meter_id, f.kind, f.started_at, f.ended_at, f.detail, SOURCE, now) for f in findings],
            )
        for c in closings:
            close_finding(session, c.meter_id, c.kind, c.started_at, c.ended_at, now)


def open_ingest_findings(sessions: sessionmaker[Session], kind: str) -> dict[str, int]:
    """Meter -> started_at of every open ingest finding of ``kind``; raises ``SQLAlchemyError``."""
    with sessions() as session:
        return open_findings(session, kind, SOURCE)


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
