"""Alerts: the inbox with filters and paging, one alert with its explanation, and actions."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import Select, func, select

from core.db.tables import AlertRecord
from api.deps import CurrentKey, SessionDep, visible_alert
from api.problems import Problem, forbidden
from api.schemas.alerts import AlertDetailPublic, AlertPublic, AlertSort, AlertsPublic, AlertStatus, Severity
from api.schemas.common import problem_responses
from api.security import Principal

log = logging.getLogger(__name__)
router = APIRouter(prefix="/alerts", tags=["alerts"], responses=problem_responses(401, 422))

AlertId = Annotated[int, Path(ge=1, description="Alert id.", examples=[17])]

_ORDER = {
    AlertSort.WASTE_DESC: (AlertRecord.wasted_kwh.desc(), AlertRecord.id.desc()),
    AlertSort.WASTE_ASC: (AlertRecord.wasted_kwh.asc(), AlertRecord.id.asc()),
    AlertSort.STARTED_DESC: (AlertRecord.started_at.desc(), AlertRecord.id.desc()),
    AlertSort.STARTED_ASC: (AlertRecord.started_at.asc(), AlertRecord.id.asc()),
}


def _in_scope(query: Select, key: Principal) -> Select:
    return query if key.site_ids is None else query.where(AlertRecord.site_id.in_(key.site_ids))


@router.get("", summary="List alerts", response_model=AlertsPublic)
def list_alerts(
    session: SessionDep,
    key: CurrentKey,
    site_id: Annotated[str | None, Query(description="Only this site.", examples=["sh-xuhui-01"])] = None,
    status: Annotated[
        list[AlertStatus] | None, Query(description="Repeat for several, e.g. status=open&status=acknowledged.")
    ] = None,
    severity: Annotated[list[Severity] | None, Query(description="Repeat for several.")] = None,
    category: Annotated[str | None, Query(description="Meter category.", examples=["corridor_lighting"])] = None,
    kind: Annotated[str | None, Query(description="Which check fired.", examples=["baseline_excess"])] = None,
    sort: Annotated[AlertSort, Query(description="Sort key; a leading minus sorts descending.")] = AlertSort.WASTE_DESC,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, description="Alerts to skip.")] = 0,
) -> AlertsPublic:
    """Alerts of the sites the key may see, biggest waste first by default."""
    query = _in_scope(select(AlertRecord), key)
    if site_id is not None:
        query = query.where(AlertRecord.site_id == site_id)
    if status:
        query = query.where(AlertRecord.status.in_([s.value for s in status]))
    if severity:
        query = query.where(AlertRecord.severity.in_([s.value for s in severity]))
    if category is not None:
        query = query.where(AlertRecord.category == category)
    if kind is not None:
        query = query.where(AlertRecord.kind == kind)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(*_ORDER[sort]).limit(limit).offset(offset))
    return AlertsPublic(data=[AlertPublic.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{alert_id}", summary="Get an alert", response_model=AlertDetailPublic, responses=problem_responses(404))
def get_alert(alert_id: AlertId, session: SessionDep, key: CurrentKey) -> AlertDetailPublic:
    """One alert with the detector's explanation in English and Chinese."""
    return AlertDetailPublic.of(visible_alert(session, key, alert_id))


def _transition(session: SessionDep, key: Principal, alert_id: int, to: AlertStatus) -> AlertDetailPublic:
    record = visible_alert(session, key, alert_id)
    if not key.can_act_on_alerts:
        raise forbidden(f"mark alerts {to.value}")
    if record.status == AlertStatus.RESOLVED.value and to is AlertStatus.ACKNOWLEDGED:
        raise Problem(409, f"Alert {alert_id} is already resolved.", kind="conflict", current_status=record.status)
    if record.status != to.value:
        record.status = to.value
        record.updated_at = int(time.time())
        session.commit()
        log.info("alert %s marked %s by key %s (%s)", alert_id, to.value, key.key_id, key.name)
    return AlertDetailPublic.of(record)


@router.post(
    "/{alert_id}/acknowledge",
    summary="Acknowledge an alert",
    response_model=AlertDetailPublic,
    responses=problem_responses(403, 404, 409),
)
def acknowledge_alert(alert_id: AlertId, session: SessionDep, key: CurrentKey) -> AlertDetailPublic:
    """Someone is on it: open becomes acknowledged (managers and admins; repeating is harmless)."""
    return _transition(session, key, alert_id, AlertStatus.ACKNOWLEDGED)


@router.post(
    "/{alert_id}/resolve",
    summary="Resolve an alert",
    response_model=AlertDetailPublic,
    responses=problem_responses(403, 404),
)
def resolve_alert(alert_id: AlertId, session: SessionDep, key: CurrentKey) -> AlertDetailPublic:
    """The waste has stopped: open or acknowledged becomes resolved (managers and admins)."""
    return _transition(session, key, alert_id, AlertStatus.RESOLVED)
