"""What people do to alerts: each action checks the state, changes the row and writes history.

Every change also moves ``updated_at``, which is what the alert stream watches.
"""

from __future__ import annotations

import math
import time
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.problems import Problem
from api.security import Principal
from api.timeranges import zone_of
from core.alerts import AlertStatus, Verification, record_event
from core.db.tables import AlertEventRecord, AlertRecord, SiteRecord, SuppressionRecord
from core.timebase import DAY, HOME_TIMEZONE, HOUR

OPEN, ACKNOWLEDGED, RESOLVED = AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


def _conflict(alert: AlertRecord, action: str) -> Problem:
    return Problem(
        409, f"Alert {alert.id} is {alert.status}; it cannot be {action}.", kind="conflict", current_status=alert.status
    )


def history(session: Session, alert_id: int) -> list[AlertEventRecord]:
    query = select(AlertEventRecord).where(AlertEventRecord.alert_id == alert_id)
    return list(session.scalars(query.order_by(AlertEventRecord.at, AlertEventRecord.id)))


def acknowledge(session: Session, alert: AlertRecord, who: Principal, now: int | None = None) -> None:
    """Open becomes acknowledged; acknowledging again changes nothing; resolved is a conflict."""
    if alert.status == RESOLVED:
        raise _conflict(alert, "acknowledged")
    if alert.status == OPEN:
        now = _now(now)
        alert.status, alert.acknowledged_at = ACKNOWLEDGED, now
        record_event(session, alert, who.actor, "acknowledged", None, now)


def resolve(session: Session, alert: AlertRecord, who: Principal, note: str | None, now: int | None = None) -> None:
    """Open or acknowledged becomes resolved, and the detector starts verifying the fix."""
    if alert.status == RESOLVED:
        return
    now = _now(now)
    alert.status, alert.resolved_at, alert.snoozed_until = RESOLVED, now, None
    # Watching asks the detector to compare the days after with the baseline.
    alert.verification = Verification.WATCHING
    record_event(session, alert, who.actor, "resolved", {"note": note} if note else None, now)


def reopen(session: Session, alert: AlertRecord, who: Principal, note: str | None, now: int | None = None) -> None:
    """A resolved alert becomes open again."""
    if alert.status != RESOLVED:
        raise _conflict(alert, "reopened")
    now = _now(now)
    alert.status, alert.resolved_at, alert.verification = OPEN, None, None
    alert.reopened = (alert.reopened or 0) + 1
    record_event(session, alert, who.actor, "reopened", {"note": note} if note else None, now)


def assign(session: Session, alert: AlertRecord, who: Principal, assignee: str | None, now: int | None = None) -> None:
    if alert.status == RESOLVED:
        raise _conflict(alert, "assigned")
    if alert.assignee != assignee:
        now = _now(now)
        alert.assignee = assignee
        record_event(session, alert, who.actor, "assigned", {"assignee": assignee}, now)


def comment(session: Session, alert: AlertRecord, who: Principal, text: str, now: int | None = None) -> None:
    record_event(session, alert, who.actor, "commented", text, _now(now))


def snooze(session: Session, alert: AlertRecord, who: Principal, hours: float, note: str | None, now: int | None = None) -> None:
    if alert.status == RESOLVED:
        raise _conflict(alert, "snoozed")
    now = _now(now)
    alert.snoozed_until = now + math.ceil(hours * HOUR)
    record_event(session, alert, who.actor, "snoozed", {"until": alert.snoozed_until, "note": note}, now)


def local_hours(alert: AlertRecord, timezone: str) -> tuple[int, int]:
    """The local hours of day ``[start, end)`` the episode covered; (0, 24) when a day or more."""
    if alert.ended_at - alert.started_at >= DAY:
        return 0, 24
    zone = zone_of(timezone)
    start = datetime.fromtimestamp(alert.started_at, zone)
    end = datetime.fromtimestamp(alert.ended_at, zone)
    hour_end = end.hour + (1 if end.minute or end.second else 0)
    hour_end = 24 if hour_end % 24 == 0 else hour_end
    if hour_end == start.hour:
        return 0, 24
    return start.hour, hour_end


def mark_not_waste(
    session: Session, alert: AlertRecord, who: Principal, reason: str, days: int, every_kind: bool, now: int | None = None
) -> SuppressionRecord | None:
    """Close the alert as not waste and suppress similar ones; None when it was already marked."""
    if alert.feedback == "not_waste":
        return None
    now = _now(now)
    site = session.get(SiteRecord, alert.site_id)
    hour_start, hour_end = local_hours(alert, site.timezone if site else HOME_TIMEZONE)
    suppression = SuppressionRecord(
        site_id=alert.site_id,
        meter_id=alert.meter_id,
        kind=None if every_kind else alert.kind,
        hour_start=hour_start,
        hour_end=hour_end,
        valid_until=now + days * DAY,
        reason=reason,
        alert_id=alert.id,
        created_by=who.actor,
        created_at=now,
    )
    session.add(suppression)
    alert.feedback = "not_waste"
    if alert.status != RESOLVED:
        alert.status, alert.resolved_at, alert.snoozed_until = RESOLVED, now, None
    detail = {"reason": reason, "kind": suppression.kind, "hours": [hour_start, hour_end], "valid_until": suppression.valid_until}
    record_event(session, alert, who.actor, "not_waste", detail, now)
    return suppression
