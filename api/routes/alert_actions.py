"""Acting on an alert: acknowledge, assign, comment, snooze, resolve, reopen, "not waste".

Scope is checked before role, so an alert of another site is missing (404) for everyone,
and a viewer gets 403 only for alerts it can already read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, Body

from api import workflow
from api.deps import CurrentKey, SessionDep, visible_alert
from api.problems import forbidden
from api.routes.alerts import AlertId, meter_name_of
from api.schemas.alerts import AlertDetailPublic, AssignBody, CommentBody, FeedbackBody, NoteBody, SnoozeBody
from api.schemas.common import problem_responses
from api.security import Principal
from core.db.tables import AlertRecord

log = logging.getLogger(__name__)
router = APIRouter(prefix="/alerts", tags=["alerts"], responses=problem_responses(401, 403, 404, 422))

_CONFLICT = problem_responses(409)


def _act(
    session: SessionDep, key: Principal, alert_id: int, verb: str, change: Callable[[AlertRecord], object]
) -> AlertDetailPublic:
    record = visible_alert(session, key, alert_id)
    if not key.can_act_on_alerts:
        raise forbidden(f"{verb} alerts")
    change(record)
    session.commit()
    log.info("alert %s: %s by %s %s", alert_id, verb, key.via, key.key_id)
    return AlertDetailPublic.of(record, history=workflow.history(session, alert_id), meter_name=meter_name_of(session, record))


@router.post("/{alert_id}/acknowledge", summary="Acknowledge an alert", response_model=AlertDetailPublic, responses=_CONFLICT)
def acknowledge_alert(alert_id: AlertId, session: SessionDep, key: CurrentKey) -> AlertDetailPublic:
    """Someone is on it: open becomes acknowledged (managers and admins; repeating is harmless)."""
    return _act(session, key, alert_id, "acknowledge", lambda a: workflow.acknowledge(session, a, key))


@router.post("/{alert_id}/resolve", summary="Resolve an alert", response_model=AlertDetailPublic)
def resolve_alert(
    alert_id: AlertId, session: SessionDep, key: CurrentKey, body: NoteBody | None = Body(default=None)
) -> AlertDetailPublic:
    """The waste has stopped: open or acknowledged becomes resolved, and the fix is then verified."""
    note = body.note if body else None
    return _act(session, key, alert_id, "resolve", lambda a: workflow.resolve(session, a, key, note))


@router.post("/{alert_id}/reopen", summary="Reopen an alert", response_model=AlertDetailPublic, responses=_CONFLICT)
def reopen_alert(
    alert_id: AlertId, session: SessionDep, key: CurrentKey, body: NoteBody | None = Body(default=None)
) -> AlertDetailPublic:
    """A resolved alert becomes open again (409 when it is not resolved)."""
    note = body.note if body else None
    return _act(session, key, alert_id, "reopen", lambda a: workflow.reopen(session, a, key, note))


@router.post("/{alert_id}/assign", summary="Assign an alert", response_model=AlertDetailPublic, responses=_CONFLICT)
def assign_alert(alert_id: AlertId, body: AssignBody, session: SessionDep, key: CurrentKey) -> AlertDetailPublic:
    """Give the alert to a person (free text, usually a username); null takes it back."""
    return _act(session, key, alert_id, "assign", lambda a: workflow.assign(session, a, key, body.assignee))


@router.post("/{alert_id}/comments", summary="Comment on an alert", response_model=AlertDetailPublic)
def comment_alert(alert_id: AlertId, body: CommentBody, session: SessionDep, key: CurrentKey) -> AlertDetailPublic:
    """Add a note to the alert's history."""
    return _act(session, key, alert_id, "comment on", lambda a: workflow.comment(session, a, key, body.text))


@router.post("/{alert_id}/snooze", summary="Snooze an alert", response_model=AlertDetailPublic, responses=_CONFLICT)
def snooze_alert(alert_id: AlertId, body: SnoozeBody, session: SessionDep, key: CurrentKey) -> AlertDetailPublic:
    """Hide the alert from the inbox (`snoozed=false`) for some hours."""
    return _act(session, key, alert_id, "snooze", lambda a: workflow.snooze(session, a, key, body.hours, body.note))


@router.post("/{alert_id}/feedback", summary="Mark an alert as not waste", response_model=AlertDetailPublic)
def feedback_alert(alert_id: AlertId, body: FeedbackBody, session: SessionDep, key: CurrentKey) -> AlertDetailPublic:
    """Close the alert as not waste; the detector then suppresses alerts of the same kind on
    this meter in the same local hours for `days` days."""
    return _act(
        session,
        key,
        alert_id,
        "give feedback on",
        lambda a: workflow.mark_not_waste(session, a, key, body.reason, body.days, body.every_kind),
    )
