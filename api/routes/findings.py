"""Data-quality findings of a site, from ingest and the detector."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import func, select

from api.deps import CurrentKey, SessionDep, visible_site
from api.schemas.common import problem_responses
from api.schemas.findings import FindingPublic, FindingsPublic
from core.db.tables import DataFindingRecord

router = APIRouter(tags=["findings"], responses=problem_responses(401, 404, 422))


@router.get("/sites/{site_id}/findings", summary="Data-quality findings of a site", response_model=FindingsPublic)
def list_findings(
    site_id: Annotated[str, Path(max_length=64, examples=["sh-xuhui-01"])],
    session: SessionDep,
    key: CurrentKey,
    open: Annotated[bool | None, Query(description="true: only ongoing; false: only closed.")] = None,
    kind: Annotated[str | None, Query(max_length=32, examples=["stale_meter"])] = None,
    meter_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> FindingsPublic:
    """Stale meters, resets, stuck registers, spikes and gaps: why numbers may be incomplete."""
    visible_site(session, key, site_id)
    query = select(DataFindingRecord).where(DataFindingRecord.site_id == site_id)
    if open is not None:
        query = query.where(DataFindingRecord.open.is_(open))
    if kind is not None:
        query = query.where(DataFindingRecord.kind == kind)
    if meter_id is not None:
        query = query.where(DataFindingRecord.meter_id == meter_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DataFindingRecord.started_at.desc(), DataFindingRecord.id.desc()).limit(limit).offset(offset)
    )
    return FindingsPublic(data=[FindingPublic.of(r) for r in rows], total=total, limit=limit, offset=offset)
