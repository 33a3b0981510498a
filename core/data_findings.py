"""Data findings: what is wrong with the data, never waste. Their kinds, sources and writes.

A finding is keyed by (site, meter, kind, start), the table's unique constraint: whoever
writes a key first owns it (``source``), and a second writer of the same key adds nothing.
Site-level findings carry meter_id "".
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db.tables import DataFindingRecord

__all__ = [
    "DataFindingKind",
    "FindingSource",
    "close_ended",
    "close_finding",
    "close_site_finding",
    "finding_row",
    "hold_site_finding",
    "insert_findings",
    "open_findings",
    "open_sites",
    "upsert_finding",
]


class DataFindingKind(enum.StrEnum):
    """``DataFindingRecord.kind``; the dashboard labels each (api/static/i18n.js)."""

    # Found by ingest, reading by reading.
    STALE_METER = "stale_meter"
    REGISTER_RESET = "register_reset"
    REGISTER_ROLLOVER = "register_rollover"
    OUT_OF_ORDER = "out_of_order"
    # Found by the detector in the hourly series.
    GAP = "gap"
    SPIKE = "spike"
    STUCK_REGISTER = "stuck_register"
    SHORTFALL = "shortfall"
    FLAT_LINE = "flat_line"
    SCHEDULE_CHANGED = "schedule_changed"
    # Site-level (meter_id ""): the registry's and the detector's own.
    NO_COORDINATES = "no_coordinates"
    DETECTION_FAILED = "detection_failed"


class FindingSource(enum.StrEnum):
    """``DataFindingRecord.source``: who wrote the finding first."""

    INGEST = "ingest"
    DETECTOR = "detector"
    REGISTRY = "registry"


#: Rows per INSERT: SQLite allows 32k bound parameters and a row takes 10.
_CHUNK = 1000


def finding_row(
    site_id: str, meter_id: str, kind: str, started_at: int, ended_at: int | None, detail: dict, source: FindingSource, now: int
) -> dict:
    """The column values of one new finding (open while ``ended_at`` is None)."""
    return {
        "site_id": site_id,
        "meter_id": meter_id,
        "kind": kind,
        "started_at": started_at,
        "ended_at": ended_at,
        "open": ended_at is None,
        "detail": json.dumps(detail, sort_keys=True),
        "source": source,
        "created_at": now,
        "updated_at": now,
    }


def insert_findings(session: Session, rows: list[dict]) -> None:
    """Insert ``rows`` (see ``finding_row``), skipping any key already recorded by anyone."""
    for start in range(0, len(rows), _CHUNK):
        _insert_ignoring_duplicates(session, rows[start : start + _CHUNK])


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(DataFindingRecord).values(rows).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(DataFindingRecord).values(rows).on_conflict_do_nothing())
    else:  # pragma: no cover - the two supported databases are handled above
        existing = set(session.execute(select(DataFindingRecord.meter_id, DataFindingRecord.kind, DataFindingRecord.started_at)))
        session.add_all(DataFindingRecord(**r) for r in rows if (r["meter_id"], r["kind"], r["started_at"]) not in existing)


def upsert_finding(
    session: Session,
    site_id: str,
    meter_id: str,
    kind: str,
    started_at: int,
    ended_at: int,
    still_open: bool,
    detail: str,
    source: FindingSource,
    now: int,
) -> bool:
    """Record a finding seen again and again (the detector's): insert it, or move the end of
    the one holding its key. True when a row was written.

    The end only moves later, and ``detail`` is rewritten only on the writer's own rows: a
    reset ingest recorded keeps ingest's detail when the detector sees it too.
    """
    row = session.scalars(
        select(DataFindingRecord).where(
            DataFindingRecord.site_id == site_id,  # site-level findings share meter_id ""
            DataFindingRecord.meter_id == meter_id,
            DataFindingRecord.kind == kind,
            DataFindingRecord.started_at == started_at,
        )
    ).first()
    if row is None:
        session.add(
            DataFindingRecord(
                site_id=site_id,
                meter_id=meter_id,
                kind=kind,
                started_at=started_at,
                ended_at=ended_at,
                open=still_open,
                detail=detail,
                source=source,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        return True
    if row.ended_at == ended_at and row.open == still_open:
        return False
    row.ended_at, row.open, row.updated_at = max(row.ended_at or 0, ended_at), still_open, now
    if row.source == source:
        row.detail = detail
    return True


def close_ended(session: Session, site_id: str, source: FindingSource, before: int, now: int) -> None:
    """Close the site's open findings from ``source`` that ended before ``before``."""
    session.execute(
        update(DataFindingRecord)
        .where(
            DataFindingRecord.site_id == site_id,
            DataFindingRecord.source == source,
            DataFindingRecord.open.is_(True),
            DataFindingRecord.ended_at < before,
        )
        .values(open=False, updated_at=now)
    )


def close_finding(session: Session, meter_id: str, kind: str, started_at: int, ended_at: int, now: int) -> None:
    """Close the open finding (meter, kind, start) at ``ended_at``; nothing when none is open."""
    session.execute(
        update(DataFindingRecord)
        .where(
            DataFindingRecord.meter_id == meter_id,
            DataFindingRecord.kind == kind,
            DataFindingRecord.started_at == started_at,
            DataFindingRecord.open.is_(True),
        )
        .values(open=False, ended_at=ended_at, updated_at=now)
    )


def open_findings(session: Session, kind: str, source: FindingSource) -> dict[str, int]:
    """Meter -> started_at of every open finding of ``kind`` written by ``source``."""
    rows: Iterable = session.execute(
        select(DataFindingRecord.meter_id, DataFindingRecord.started_at).where(
            DataFindingRecord.kind == kind, DataFindingRecord.open.is_(True), DataFindingRecord.source == source
        )
    )
    return {meter: started for meter, started in rows}


def hold_site_finding(session: Session, site_id: str, kind: str, detail: str, source: FindingSource, now: int) -> None:
    """Keep one open site-level finding (meter_id "") of ``kind``: open it from ``now``, or
    rewrite the detail of the one already open (its start stays the first time seen)."""
    row = session.scalars(
        select(DataFindingRecord).where(
            DataFindingRecord.site_id == site_id,
            DataFindingRecord.kind == kind,
            DataFindingRecord.open.is_(True),
        )
    ).first()
    if row is None:
        values = finding_row(site_id, "", kind, now, None, {}, source, now)
        session.add(DataFindingRecord(**{**values, "detail": detail}))
    else:
        row.detail, row.updated_at = detail, now


def close_site_finding(session: Session, site_id: str, kind: str, now: int) -> None:
    """Close the site's open findings of ``kind`` at ``now``."""
    session.execute(
        update(DataFindingRecord)
        .where(DataFindingRecord.site_id == site_id, DataFindingRecord.kind == kind, DataFindingRecord.open.is_(True))
        .values(open=False, ended_at=now, updated_at=now)
    )


def open_sites(session: Session, kind: str) -> set[str]:
    """The sites with an open finding of ``kind``."""
    return set(
        session.scalars(select(DataFindingRecord.site_id).where(DataFindingRecord.kind == kind, DataFindingRecord.open.is_(True)))
    )
