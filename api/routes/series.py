"""Hourly consumption of one meter, for charts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentKey, SessionDep, StoreDep, visible_site
from api.problems import Problem, not_found
from api.schemas.common import problem_responses, utc
from api.schemas.series import SeriesPointPublic, SeriesPublic
from api.timeranges import resolve_range, zone_of
from core.db.tables import MeterRecord
from core.domain import MeterCategory, unit_of
from core.timebase import DAY, HOUR

router = APIRouter(tags=["series"], responses=problem_responses(401, 404, 422, 503))

#: Default chart window, and the longest one served (about three months of hours).
DEFAULT_SPAN_S = 7 * DAY
MAX_SPAN_S = 93 * DAY


@router.get(
    "/sites/{site_id}/meters/{meter_id}/series",
    summary="Hourly energy of a meter",
    response_model=SeriesPublic,
)
def get_series(
    site_id: str,
    meter_id: str,
    session: SessionDep,
    store: StoreDep,
    key: CurrentKey,
    start: Annotated[
        str | None, Query(description="ISO date or datetime (site local time when naive). Default: 7 days before end.")
    ] = None,
    end: Annotated[str | None, Query(description="ISO date or datetime. Default: now.")] = None,
) -> SeriesPublic:
    """Energy per hour over at most 93 days; hours without readings are null."""
    site = visible_site(session, key, site_id)
    meter = session.get(MeterRecord, meter_id)
    if meter is None or meter.site_id != site.site_id:
        raise not_found("meter", meter_id)
    span = resolve_range(start, end, zone_of(site.timezone), default_start=lambda e: e - DEFAULT_SPAN_S)
    if span.end - span.start > MAX_SPAN_S:
        raise Problem(
            422,
            "The range may span at most 93 days.",
            kind="validation",
            errors=[{"loc": ["query", "start"], "msg": "range longer than 93 days", "type": "value_error"}],
        )
    first_hour = span.start - span.start % HOUR
    # Energy is bucketed by reading time, as the store's ranges and carbon totals are.
    sums: dict[int, float] = {}
    for point in store.points(start=first_hour, end=span.end, site_id=site_id, meter_id=meter_id):
        bucket = point.ts - point.ts % HOUR
        sums[bucket] = sums.get(bucket, 0.0) + point.energy
    hours = range(first_hour, span.end, HOUR)
    return SeriesPublic(
        site_id=site_id,
        meter_id=meter_id,
        unit=unit_of(MeterCategory(meter.category)),
        interval_s=HOUR,
        start=utc(first_hour),
        end=utc(span.end),
        points=[SeriesPointPublic(at=utc(h), value=sums.get(h)) for h in hours],
    )
