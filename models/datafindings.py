"""Data faults stored as ``DataFindingRecord`` rows (source "detector"): never waste, shown apart."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db.tables import DataFindingRecord
from models.quality import DataWarning

SOURCE = "detector"
#: Warning codes that are findings about the data, named as ``DataFindingRecord.kind``.
FINDING_KINDS = frozenset(
    {"gap", "register_reset", "register_rollover", "spike", "stuck_register", "schedule_changed", "shortfall", "flat_line"}
)
#: A finding whose last hour is this close to the newest data may still be going on.
OPEN_WITHIN_S = 2 * 3600


def store_faults(session: Session, site_id: str, warnings: Iterable[DataWarning], *, data_end: int, wall_now: int) -> int:
    """Upsert the faults among ``warnings``; close this site's detector findings that have ended.

    Keyed like the table (meter, kind, start): a finding ingest already wrote is updated, not
    duplicated. Returns how many findings were written or updated.
    """
    written = 0
    seen: set[tuple[str, str, int]] = set()
    for w in warnings:
        if w.code not in FINDING_KINDS or w.meter_id is None or "started_at" not in w.data:  # "": the whole site
            continue
        key = (w.meter_id, w.code, int(w.data["started_at"]))
        if key in seen:
            continue
        seen.add(key)
        ended_at = int(w.data.get("ended_at", key[2]))
        row = session.scalars(
            select(DataFindingRecord).where(
                DataFindingRecord.site_id == site_id,  # site-level findings share meter_id ""
                DataFindingRecord.meter_id == key[0],
                DataFindingRecord.kind == key[1],
                DataFindingRecord.started_at == key[2],
            )
        ).first()
        detail = json.dumps({"message": w.message, **{k: v for k, v in w.data.items() if k != "started_at"}}, ensure_ascii=False)
        still_open = ended_at >= data_end - OPEN_WITHIN_S
        if row is None:
            session.add(
                DataFindingRecord(
                    site_id=site_id,
                    meter_id=key[0],
                    kind=key[1],
                    started_at=key[2],
                    ended_at=ended_at,
                    open=still_open,
                    detail=detail,
                    source=SOURCE,
                    created_at=wall_now,
                    updated_at=wall_now,
                )
            )
            session.flush()
        elif row.ended_at != ended_at or row.open != still_open:
            row.ended_at, row.open, row.updated_at = max(row.ended_at or 0, ended_at), still_open, wall_now
            if row.source == SOURCE:
                row.detail = detail
        else:
            continue
        written += 1
    session.execute(
        update(DataFindingRecord)
        .where(
            DataFindingRecord.site_id == site_id,
            DataFindingRecord.source == SOURCE,
            DataFindingRecord.open.is_(True),
            DataFindingRecord.ended_at < data_end - OPEN_WITHIN_S,
        )
        .values(open=False, updated_at=wall_now)
    )
    return written
