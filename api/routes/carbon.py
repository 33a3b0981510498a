"""Carbon ledgers: one site, and the portfolio of sites the API key may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.carbon import site_carbon
from core.db.registry import load_meters, site_from
from core.db.tables import SiteRecord
from core.store.base import SeriesStore
from api.deps import CurrentKey, SessionDep, StoreDep, visible_site
from api.schemas.carbon import CarbonTotalsPublic, PortfolioCarbonPublic, SiteCarbonPublic
from api.schemas.common import problem_responses
from api.timeranges import first_point_ts, resolve_range, zone_of

router = APIRouter(tags=["carbon"], responses=problem_responses(401, 422))

_RANGE_HELP = (
    "ISO 8601 date or datetime; naive values are the site's local time. "
    "A date alone as `end` includes that whole day."
)
StartQuery = Annotated[
    str | None, Query(description=_RANGE_HELP + " Default: the site's first stored reading.", examples=["2024-01-01"])
]
EndQuery = Annotated[str | None, Query(description=_RANGE_HELP + " Default: now.", examples=["2024-12-31"])]
#: Span used when a site has no data yet: any empty range gives the same zero ledger.
_EMPTY_SPAN_S = 86400


def _ledger(session: Session, store: SeriesStore, site: SiteRecord, start: str | None, end: str | None) -> SiteCarbonPublic:
    def since_first_point(end_ts: int) -> int:
        first = first_point_ts(store, site.site_id, end_ts)
        return first if first is not None else end_ts - _EMPTY_SPAN_S

    span = resolve_range(start, end, zone_of(site.timezone), default_start=since_first_point)
    meters = list(load_meters(session, site.site_id).values())
    return SiteCarbonPublic.of(site_carbon(store, site_from(site), meters, span.start, span.end))


@router.get(
    "/sites/{site_id}/carbon",
    summary="Carbon ledger of a site",
    response_model=SiteCarbonPublic,
    responses=problem_responses(404, 503),
)
def get_site_carbon(
    site_id: str, session: SessionDep, store: StoreDep, key: CurrentKey, start: StartQuery = None, end: EndQuery = None
) -> SiteCarbonPublic:
    """Grid kWh, gas, PV, Scope 1 and location-based Scope 2 kg CO2e, with the factors used."""
    return _ledger(session, store, visible_site(session, key, site_id), start, end)


@router.get(
    "/carbon",
    summary="Carbon ledger of the portfolio",
    response_model=PortfolioCarbonPublic,
    responses=problem_responses(503),
)
def get_portfolio_carbon(
    session: SessionDep, store: StoreDep, key: CurrentKey, start: StartQuery = None, end: EndQuery = None
) -> PortfolioCarbonPublic:
    """Each site the key may see, and their sum."""
    query = select(SiteRecord).order_by(SiteRecord.site_id)
    if key.site_ids is not None:
        query = query.where(SiteRecord.site_id.in_(key.site_ids))
    ledgers = [_ledger(session, store, site, start, end) for site in session.scalars(query).all()]
    fields = CarbonTotalsPublic.model_fields
    total = CarbonTotalsPublic(**{name: sum(getattr(s, name) for s in ledgers) for name in fields})
    return PortfolioCarbonPublic(sites=ledgers, total=total)
