"""Sites and their meters: read within the caller's scope, created and changed by admins."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.deps import CurrentKey, SessionDep, StoreDep, admin_site, visible_site
from api.problems import Problem, forbidden, not_found
from api.schemas.common import SITE_PAGE_DEFAULT, SITE_PAGE_MAX, problem_responses
from api.schemas.sites import (
    MeterCreate,
    MeterPublic,
    MeterUpdate,
    SiteCreate,
    SiteDetailPublic,
    SitePublic,
    SitesPublic,
    SiteUpdate,
    stored_hours,
    stored_tariff,
)
from core.db.registry import move_meter, note_location, site_from
from core.db.tables import MeterRecord, SiteRecord
from core.site_rules import GIVEN, PROVINCE_CAPITAL, locate
from core.store.base import SeriesStore
from core.timebase import HOME_TIMEZONE

log = logging.getLogger(__name__)
router = APIRouter(prefix="/sites", tags=["sites"], responses=problem_responses(401))

SiteId = Annotated[str, Path(max_length=64, description="Site id.", examples=["sh-xuhui-01"])]
MeterId = Annotated[str, Path(max_length=64, description="Meter id.", examples=["sh-xuhui-01-corridor-1"])]


def _detail(session: Session, store: SeriesStore, record: SiteRecord) -> SiteDetailPublic:
    meters = session.scalars(select(MeterRecord).where(MeterRecord.site_id == record.site_id).order_by(MeterRecord.meter_id))
    latest = store.latest(site_id=record.site_id)
    return SiteDetailPublic(
        **SitePublic.of(record).model_dump(),
        meters=[MeterPublic.of(m, latest[m.meter_id].ts if m.meter_id in latest else None) for m in meters],
    )


def _apply(record: object, changes: dict) -> None:
    for name, value in changes.items():
        setattr(record, name, value.value if hasattr(value, "value") else value)


def _locate(session: Session, record: SiteRecord, changes: dict) -> None:
    """Coordinates given stay given; a site without them follows its province's capital (and says so)."""
    if "latitude" in changes or "longitude" in changes:
        record.location_source = GIVEN
    if record.location_source == PROVINCE_CAPITAL or (record.latitude, record.longitude) == (0.0, 0.0):
        record.latitude, record.longitude, record.location_source = locate(record.province, None, None)
    note_location(session, site_from(record), int(time.time()))


@router.get("", summary="List sites", response_model=SitesPublic)
def list_sites(
    session: SessionDep,
    key: CurrentKey,
    limit: Annotated[int, Query(ge=1, le=SITE_PAGE_MAX, description="Page size.")] = SITE_PAGE_DEFAULT,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Sites to skip.")] = 0,
) -> SitesPublic:
    """The sites the caller may see, by id, one page at a time (the default page holds up to 5,000)."""
    query = select(SiteRecord)
    if key.site_ids is not None:
        query = query.where(SiteRecord.site_id.in_(key.site_ids))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    sites = [SitePublic.of(r) for r in session.scalars(query.order_by(SiteRecord.site_id).limit(limit).offset(offset))]
    return SitesPublic(data=sites, total=total, limit=limit, offset=offset)


@router.post(
    "",
    summary="Create a site",
    response_model=SiteDetailPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 409, 422),
)
def create_site(body: SiteCreate, session: SessionDep, store: StoreDep, key: CurrentKey) -> SiteDetailPublic:
    """A new site with its tariff (admins)."""
    if not key.is_admin:
        raise forbidden("create sites")
    if session.get(SiteRecord, body.site_id) is not None:
        raise Problem(409, f"Site {body.site_id!r} exists; PATCH it instead.", kind="conflict")
    record = SiteRecord(
        site_id=body.site_id, city="", latitude=0.0, longitude=0.0, timezone=HOME_TIMEZONE, location_source=PROVINCE_CAPITAL
    )
    fields = body.model_dump(exclude={"site_id"}, exclude_unset=True)
    _apply(record, {**fields, "tou_tariff": stored_tariff(body.tou_tariff), "opening_hours": stored_hours(body.opening_hours)})
    session.add(record)
    _locate(session, record, fields)
    session.commit()
    log.info("site %s created by %s", record.site_id, key.actor)
    return _detail(session, store, record)


@router.get(
    "/{site_id}", summary="Get a site with its meters", response_model=SiteDetailPublic, responses=problem_responses(404, 503)
)
def get_site(site_id: SiteId, session: SessionDep, store: StoreDep, key: CurrentKey) -> SiteDetailPublic:
    """A site, its meters, and when each meter last reported."""
    return _detail(session, store, visible_site(session, key, site_id))


@router.patch(
    "/{site_id}",
    summary="Change a site",
    response_model=SiteDetailPublic,
    responses=problem_responses(403, 404, 422),
)
def update_site(site_id: SiteId, body: SiteUpdate, session: SessionDep, store: StoreDep, key: CurrentKey) -> SiteDetailPublic:
    """Change names, location, time zone, tariffs or opening hours (admins); `tou_tariff: null` returns to flat,
    `opening_hours: null` declares none."""
    record = admin_site(session, key, site_id, "change sites")
    changes = body.model_dump(exclude_unset=True)
    if "tou_tariff" in changes:
        changes["tou_tariff"] = stored_tariff(body.tou_tariff)
    if "opening_hours" in changes:
        changes["opening_hours"] = stored_hours(body.opening_hours)
    _apply(record, changes)
    _locate(session, record, changes)
    session.commit()
    return _detail(session, store, record)


@router.post(
    "/{site_id}/meters",
    summary="Add a meter",
    response_model=MeterPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 404, 409, 422),
)
def create_meter(site_id: SiteId, body: MeterCreate, session: SessionDep, key: CurrentKey) -> MeterPublic:
    """Register a meter of the site before its gateway reports (admins)."""
    admin_site(session, key, site_id, "add meters")
    if session.get(MeterRecord, body.meter_id) is not None:
        raise Problem(409, f"Meter {body.meter_id!r} exists.", kind="conflict")
    record = MeterRecord(meter_id=body.meter_id, site_id=site_id, name="", rated_kw=0.0)
    _apply(record, body.model_dump(exclude={"meter_id"}, exclude_unset=True))
    session.add(record)
    session.commit()
    return MeterPublic.of(record, None)


@router.patch(
    "/{site_id}/meters/{meter_id}",
    summary="Change a meter",
    response_model=MeterPublic,
    responses=problem_responses(403, 404, 422),
)
def update_meter(
    site_id: SiteId, meter_id: MeterId, body: MeterUpdate, session: SessionDep, store: StoreDep, key: CurrentKey
) -> MeterPublic:
    """Change a meter's name, category, rating or rollover point, or move it to another site (admins)."""
    admin_site(session, key, site_id, "change meters")
    record = session.get(MeterRecord, meter_id)
    if record is None or record.site_id != site_id:
        raise not_found("meter", meter_id)
    changes = body.model_dump(exclude_unset=True)
    to_site = changes.pop("site_id", None) or site_id
    if to_site != site_id:
        admin_site(session, key, to_site, "move meters")
        move_meter(session, meter_id, to_site)
        session.refresh(record)
        log.info("meter %s moved from site %s to %s by %s", meter_id, site_id, to_site, key.actor)
    _apply(record, changes)
    session.commit()
    latest = store.latest(site_id=record.site_id)
    return MeterPublic.of(record, latest[meter_id].ts if meter_id in latest else None)
