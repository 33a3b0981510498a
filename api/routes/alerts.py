"""Alerts: the inbox with filters and paging, and one alert with its explanation and history."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import ColumnElement, Select, case, false, func, or_, select
from sqlalchemy.orm import Session

from api.deps import CurrentKey, SessionDep, visible_alert
from api.json_body import json_response
from api.schemas.alerts import AlertDetailPublic, AlertPublic, AlertSort, AlertsPublic, AlertStatus, Severity
from api.schemas.common import Instant, epoch_of, problem_responses
from api.security import Principal
from api.workflow import history
from core.db.tables import AlertRecord, MeterRecord
from core.db.versions import ALERTS, REGISTRY, Needs
from core.severity import FLOORS, HOUR

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=problem_responses(401, 422))

AlertId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Alert id.", examples=[17])]

_ORDER: dict[AlertSort, tuple[ColumnElement[Any], ...]] = {
    AlertSort.WASTE_DESC: (AlertRecord.wasted_kwh.desc(), AlertRecord.id.desc()),
    AlertSort.WASTE_ASC: (AlertRecord.wasted_kwh.asc(), AlertRecord.id.asc()),
    AlertSort.STARTED_DESC: (AlertRecord.started_at.desc(), AlertRecord.id.desc()),
    AlertSort.STARTED_ASC: (AlertRecord.started_at.asc(), AlertRecord.id.asc()),
    AlertSort.UPDATED_ASC: (AlertRecord.updated_at.asc(), AlertRecord.id.asc()),
    AlertSort.UPDATED_DESC: (AlertRecord.updated_at.desc(), AlertRecord.id.desc()),
}

_TIME_HELP = "ISO 8601 date-time; naive is UTC."


#: Columns an alert in a list shows (AlertPublic reads them by name, as from a record); the
#: meter's announced name comes from the meters table.
_LISTED = (
    *(getattr(AlertRecord, name) for name in AlertPublic.model_fields if name != "meter_name"),
    MeterRecord.name.label("meter_name"),
)


def in_scope(query: Select, key: Principal) -> Select:
    """``query`` over alerts limited to the caller's sites."""
    return query if key.site_ids is None else query.where(AlertRecord.site_id.in_(key.site_ids))


def _severity_sql() -> ColumnElement[str]:
    """``core.severity.public_severity`` over the stored columns, so the filter agrees with what is served."""
    whens = []
    for floor in FLOORS:
        reached = [AlertRecord.wasted_kwh >= floor.wasted_kwh, AlertRecord.cost_cny >= floor.cost_cny]
        if floor.hours is not None:
            reached.append(AlertRecord.ended_at - AlertRecord.started_at >= floor.hours * HOUR)
        whens.append((or_(*reached), floor.level))
    return case(*whens, else_="low")


def meter_name_of(session: Session, record: AlertRecord) -> str | None:
    """The announced name of the alert's meter, or None."""
    meter = session.get(MeterRecord, record.meter_id)
    return meter.name if meter is not None else None


def _in_range(query: Select, since_ts: int | None, start_ts: int | None, end_ts: int | None) -> Select:
    """``query`` narrowed to alerts changed at or after ``since_ts`` whose episodes overlap ``[start_ts, end_ts)``."""
    if since_ts is not None:
        query = query.where(AlertRecord.updated_at >= since_ts)
    if start_ts is not None:
        # An ongoing episode's ended_at is its last hour so far; it still runs into any later range.
        query = query.where(or_(AlertRecord.ended_at > start_ts, AlertRecord.ongoing.is_(True)))
    if end_ts is not None:
        query = query.where(AlertRecord.started_at < end_ts)
    if start_ts is not None and end_ts is not None and end_ts <= start_ts:
        query = query.where(false())
    return query


def _by_snooze(query: Select, snoozed: bool | None, now: int) -> Select:
    """``query`` narrowed to alerts snoozed at ``now`` (``True``), awake (``False``) or both (``None``)."""
    if snoozed is None:
        return query
    awake = or_(AlertRecord.snoozed_until.is_(None), AlertRecord.snoozed_until <= now)
    return query.where(awake if snoozed is False else AlertRecord.snoozed_until > now)


#: An alert page shows alerts and their meters' names.
_LIST_NEEDS = Needs((ALERTS, REGISTRY))


@router.get("", summary="List alerts", response_model=AlertsPublic)
def list_alerts(
    request: Request,
    session: SessionDep,
    key: CurrentKey,
    site_id: Annotated[str | None, Query(max_length=64, description="Only this site.", examples=["sh-xuhui-01"])] = None,
    status: Annotated[
        list[AlertStatus] | None, Query(description="Repeat for several, e.g. status=open&status=acknowledged.")
    ] = None,
    severity: Annotated[list[Severity] | None, Query(description="Repeat for several.")] = None,
    category: Annotated[str | None, Query(max_length=32, description="Meter category.", examples=["corridor_lighting"])] = None,
    kind: Annotated[str | None, Query(max_length=48, description="Which check fired.", examples=["baseline_excess"])] = None,
    assignee: Annotated[str | None, Query(max_length=100, description="Assigned to this person.")] = None,
    snoozed: Annotated[
        bool | None, Query(description="true: only snoozed now; false: hide snoozed (the inbox); absent: both.")
    ] = None,
    updated_since: Annotated[
        Instant | None,
        Query(
            description="Only alerts changed (found, extended, acted on) at or after this; "
            + _TIME_HELP
            + " To sync: keep the largest `updated_at` seen and pass it next time, with sort=updated_at."
        ),
    ] = None,
    start: Annotated[
        Instant | None, Query(description="Only episodes still going at or after this (overlap); " + _TIME_HELP)
    ] = None,
    end: Annotated[Instant | None, Query(description="Only episodes that began before this (overlap); " + _TIME_HELP)] = None,
    sort: Annotated[AlertSort, Query(description="Sort key; a leading minus sorts descending.")] = AlertSort.WASTE_DESC,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Alerts to skip.")] = 0,
) -> Response:
    """Alerts of the sites the caller may see, biggest waste first by default.

    `start` and `end` keep the episodes that overlap that range; `updated_since` keeps the
    alerts whose `updated_at` is at or after it.
    """
    now = int(time.time())

    def compute() -> Response:
        # An `end` not after `start` is an empty range: nothing overlaps it, so the page is empty
        # (as the dead-letter list does), not a 422 the schema could not announce.
        since_ts, start_ts, end_ts = epoch_of(updated_since), epoch_of(start), epoch_of(end)
        query = _in_range(in_scope(select(AlertRecord), key), since_ts, start_ts, end_ts)
        if site_id is not None:
            query = query.where(AlertRecord.site_id == site_id)
        if status:
            query = query.where(AlertRecord.status.in_([s.value for s in status]))
        if severity:
            query = query.where(_severity_sql().in_([s.value for s in severity]))
        if category is not None:
            query = query.where(AlertRecord.category == category)
        if kind is not None:
            query = query.where(AlertRecord.kind == kind)
        if assignee is not None:
            query = query.where(AlertRecord.assignee == assignee)
        query = _by_snooze(query, snoozed, now)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        # The page's ids first, from the filters' index alone, then only those rows with their
        # meter's name: sorting every matching row with all its columns and the meters join
        # (10,000 open alerts) cost 25-70 ms; picking ids is a top-50 sort of index entries.
        # Plain rows of the listed columns (not the explanation): the inbox is read far more often
        # than alerts change, and ORM objects cost more than the query.
        ids = query.with_only_columns(AlertRecord.id).order_by(*_ORDER[sort]).limit(limit).offset(offset).subquery()
        page = (
            select(*_LISTED)
            .join(ids, ids.c.id == AlertRecord.id)
            .outerjoin(MeterRecord, MeterRecord.meter_id == AlertRecord.meter_id)
            .order_by(*_ORDER[sort])
        )
        rows = session.connection().execute(page).all()
        return json_response(AlertsPublic(data=[AlertPublic.of(r) for r in rows], total=total, limit=limit, offset=offset))

    def wakes() -> float | None:
        # Which alerts are snoozed changes with the clock alone: keep the page until the next snooze ends.
        if snoozed is None:
            return None
        return session.scalar(select(func.min(AlertRecord.snoozed_until)).where(AlertRecord.snoozed_until > now))

    return request.app.state.response_cache.answer(request, key, session, _LIST_NEEDS, compute, wakes)


@router.get("/{alert_id}", summary="Get an alert", response_model=AlertDetailPublic, responses=problem_responses(404))
def get_alert(alert_id: AlertId, session: SessionDep, key: CurrentKey) -> AlertDetailPublic:
    """One alert with the detector's explanation and what people and the detector did, oldest first."""
    record = visible_alert(session, key, alert_id)
    return AlertDetailPublic.of(record, history=history(session, alert_id), meter_name=meter_name_of(session, record))
