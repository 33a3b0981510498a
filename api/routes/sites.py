"""Sites and their meters, limited to the sites the API key may see."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from core.db.tables import MeterRecord, SiteRecord
from api.deps import CurrentKey, SessionDep, StoreDep, visible_site
from api.schemas.common import problem_responses
from api.schemas.sites import MeterPublic, SiteDetailPublic, SitePublic, SitesPublic

router = APIRouter(prefix="/sites", tags=["sites"], responses=problem_responses(401))


@router.get("", summary="List sites", response_model=SitesPublic)
def list_sites(session: SessionDep, key: CurrentKey) -> SitesPublic:
    """Every site the key may see, by id."""
    query = select(SiteRecord).order_by(SiteRecord.site_id)
    if key.site_ids is not None:
        query = query.where(SiteRecord.site_id.in_(key.site_ids))
    sites = [SitePublic.of(r) for r in session.scalars(query)]
    return SitesPublic(data=sites, total=len(sites))


@router.get(
    "/{site_id}",
    summary="Get a site with its meters",
    response_model=SiteDetailPublic,
    responses=problem_responses(404, 503),
)
def get_site(site_id: str, session: SessionDep, store: StoreDep, key: CurrentKey) -> SiteDetailPublic:
    """A site, its meters, and when each meter last reported."""
    record = visible_site(session, key, site_id)
    meters = session.scalars(
        select(MeterRecord).where(MeterRecord.site_id == site_id).order_by(MeterRecord.meter_id)
    )
    latest = store.latest(site_id=site_id)
    return SiteDetailPublic(
        **SitePublic.of(record).model_dump(),
        meters=[MeterPublic.of(m, latest[m.meter_id].ts if m.meter_id in latest else None) for m in meters],
    )
