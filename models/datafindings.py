"""Data faults stored as data findings (source "detector"): never waste, shown apart.

The kinds and the writes are ``core.data_findings``'s; this module picks the detector's
warnings that are findings and says when one is still open.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy.orm import Session

from core.data_findings import DataFindingKind as K, FindingSource, close_ended, upsert_finding
from core.timebase import HOUR
from models.quality import DataWarning

#: The detector's warning codes that are findings about the data (the rest are about the pass).
FINDING_KINDS = frozenset(
    {K.GAP, K.REGISTER_RESET, K.REGISTER_ROLLOVER, K.SPIKE, K.STUCK_REGISTER, K.SCHEDULE_CHANGED, K.SHORTFALL, K.FLAT_LINE}
)
#: A finding whose last hour is this close to the newest data may still be going on.
OPEN_WITHIN_S = 2 * HOUR


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
        detail = json.dumps({"message": w.message, **{k: v for k, v in w.data.items() if k != "started_at"}}, ensure_ascii=False)
        still_open = ended_at >= data_end - OPEN_WITHIN_S
        written += upsert_finding(session, site_id, *key, ended_at, still_open, detail, FindingSource.DETECTOR, wall_now)
    close_ended(session, site_id, FindingSource.DETECTOR, before=data_end - OPEN_WITHIN_S, now=wall_now)
    return written
