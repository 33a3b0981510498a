"""The alert vocabulary every layer shares: statuses, verification states, the history entry.

``status`` belongs to people (the API) except when a resolved alert's waste comes back;
``verification`` belongs to the detector once someone resolves an alert. Both are stored
as their string values, so rows written before these enums existed read the same.
"""

from __future__ import annotations

import enum
import json

from sqlalchemy.orm import Session

from core.db.tables import AlertEventRecord, AlertRecord

__all__ = ["AlertStatus", "Verification", "record_event"]


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Verification(enum.StrEnum):
    """After a resolution: the detector compares the days after with the baseline."""

    #: Resolved, the detector has not yet seen enough hours to say.
    WATCHING = "watching"
    #: The hours after the resolution stayed without the waste.
    VERIFIED = "verified"
    #: The waste came back: the detector reopened the alert.
    FAILED = "failed"


def record_event(session: Session, alert: AlertRecord, actor: str, action: str, detail: object, now: int) -> None:
    """Append one history entry and mark the alert changed (``updated_at``, which streams watch).

    ``detail`` is free text, or a JSON-able value written as JSON; empty or None writes "".
    ``updated_at`` never moves back: a late writer with an older clock leaves it alone.
    """
    text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False) if detail else ""
    session.add(AlertEventRecord(alert_id=alert.id, at=now, actor=actor, action=action, detail=text))
    alert.updated_at = max(now, alert.updated_at or 0)
