"""Carbon ledgers of one site and of the portfolio (JSON or CSV), and the green instruments behind market-based totals."""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

import pydantic_core
from fastapi import APIRouter, Header, Path, Query, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import CurrentKey, SessionDep, StoreDep, admin_site, visible_site
from api.json_body import json_response
from api.problems import Problem, not_found
from api.schemas.carbon import (
    CarbonPeriodPublic,
    CarbonTotalsPublic,
    Granularity,
    GreenInstrumentCreate,
    GreenInstrumentPublic,
    GreenInstrumentsPublic,
    PortfolioCarbonPublic,
    SiteCarbonPublic,
)
from api.schemas.carbon_json import portfolio_fields
from api.schemas.common import SITE_PAGE_DEFAULT, SITE_PAGE_MAX, problem_responses
from api.timeranges import TimeRange, first_point_ts, parse_instant, resolve_range, zone_of
from core.carbon import GreenInstrument, SiteInputs, portfolio_carbon, site_carbon
from core.db.registry import ledger_sites, meters_by_site, site_from
from core.db.tables import GreenInstrumentRecord, SiteRecord
from core.db.versions import REGISTRY, Needs, readings_over
from core.store.base import SeriesStore
from core.timebase import DAY, HOME_ZONE

log = logging.getLogger(__name__)
router = APIRouter(tags=["carbon"], responses=problem_responses(401, 422))

_RANGE_HELP = "ISO 8601 date or datetime; naive values are the site's local time. A date alone as `end` includes that whole day."
StartQuery = Annotated[str | None, Query(max_length=40, description=_RANGE_HELP, examples=["2024-01-01"])]
EndQuery = Annotated[str | None, Query(max_length=40, description=_RANGE_HELP + " Default: now.", examples=["2024-12-31"])]
GranularityQuery = Annotated[
    Granularity | None, Query(description="Also return totals per local day, month or year in `periods`.")
]
FormatQuery = Annotated[
    Literal["json", "csv"] | None,
    Query(description="`csv` for a UTF-8 (with BOM) CSV file; also chosen by `Accept: text/csv`."),
]
AcceptHeader = Annotated[str | None, Header(include_in_schema=False)]
SiteId = Annotated[str, Path(max_length=64, description="Site id.", examples=["sh-xuhui-01"])]
#: Span used when a site has no data yet: any empty range gives the same zero ledger.
_EMPTY_SPAN_S = DAY
_YEAR_S = 366 * DAY
#: Longest range per granularity: a ledger's work and size grow with its periods, and one
#: request must not cost minutes of CPU or a gigabyte of JSON.
MAX_SPAN_S: dict[str | None, int] = {"day": 3 * _YEAR_S, "month": 50 * _YEAR_S, "year": 130 * _YEAR_S, None: 130 * _YEAR_S}


def _check_span(span: TimeRange, granularity: str | None) -> None:
    limit = MAX_SPAN_S[granularity]
    if span.end - span.start > limit:
        years, per = limit // _YEAR_S, f"per {granularity}" if granularity else "without granularity"
        why = f"range longer than {years} years {per}"
        raise Problem(
            422,
            f"A carbon ledger {per} may span at most {years} years.",
            kind="validation",
            errors=[{"loc": ["query", "start"], "msg": why, "type": "value_error"}],
        )


_CSV_RESPONSE = {
    "content": {"text/csv": {"schema": {"type": "string"}, "example": "\ufeffscope,period,start,end,kwh,...\r\n"}},
    "description": "The same rows as the JSON: one per period, then the totals.",
}
_CSV_COLUMNS = (
    "kwh",
    "grid_kwh",
    "pv_kwh",
    "pv_self_consumed_kwh",
    "certified_kwh",
    "gas_m3",
    "scope1_kg",
    "scope2_location_kg",
    "scope2_market_kg",
    "total_kg",
    "total_market_kg",
    "readings",
    "expected_readings",
    "completeness",
)


def _wants_csv(fmt: str | None, accept: str | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    return accept is not None and "text/csv" in accept and "application/json" not in accept


def _factor_text(uses: list) -> str:
    return "; ".join(
        f"{u.role}={u.factor.value} {u.factor.unit} ({u.factor.region} {u.factor.year or '-'}; {u.factor.source})" for u in uses
    )


#: One CSV row's sources: the scope (site id or portfolio), its totals, start, end and factor uses.
_CsvRow = tuple[str, CarbonTotalsPublic, str, str, list]


def _csv(rows: list[_CsvRow], filename: str) -> Response:
    """Excel in China opens UTF-8 only with a byte-order mark, so the file starts with one."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scope", "period", "start", "end", *_CSV_COLUMNS, "factors"])
    for scope, totals, start, end, factors in rows:
        label = totals.label if isinstance(totals, CarbonPeriodPublic) else "total"
        values = ["" if getattr(totals, c) is None else repr(getattr(totals, c)) for c in _CSV_COLUMNS]
        writer.writerow([scope, label, start, end, *values, _factor_text(factors)])
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _site_rows(body: SiteCarbonPublic) -> list:
    rows = [(body.site_id, p, p.start.isoformat(), p.end.isoformat(), p.factors) for p in body.periods if body.granularity]
    return rows + [(body.site_id, body, body.start.isoformat(), body.end.isoformat(), body.factors)]


def _instruments(session: Session, site_id: str) -> list[GreenInstrument]:
    records = session.scalars(select(GreenInstrumentRecord).where(GreenInstrumentRecord.site_id == site_id))
    return [
        GreenInstrument(r.instrument, r.mwh, r.period_start, r.period_end, r.vintage_year, r.reference, r.id) for r in records
    ]


def _first_reading(session: Session, store: SeriesStore, site: SiteRecord, before: int) -> int | None:
    """The site's first stored reading before ``before``, or None.

    The registry keeps it (``first_reading_at``): two store queries confirm it (nothing
    before it, a reading at it) instead of the ~20 of ``first_point_ts``. A backfill older
    than it or data dropped by retention fails the check, and the store is searched again.
    """
    kept = site.first_reading_at
    if kept is not None and not store.energy_by_meter(site_id=site.site_id, start=0, end=min(kept, before)):
        if kept >= before:
            return None
        if any(True for _ in store.points(start=kept, end=kept + 1, site_id=site.site_id)):
            return kept
    first = first_point_ts(store, site.site_id, before)
    if first is not None and first != kept:
        site.first_reading_at = first
        session.commit()
    return first


def _inputs(session: Session, site: SiteRecord) -> SiteInputs:
    meters = meters_by_site(session, site.site_id).get(site.site_id, [])
    return SiteInputs(site_from(site), meters, _instruments(session, site.site_id))


@router.get(
    "/sites/{site_id}/carbon",
    summary="Carbon ledger of a site",
    response_model=SiteCarbonPublic,
    responses={200: _CSV_RESPONSE, **problem_responses(404, 503)},
)
def get_site_carbon(
    request: Request,
    site_id: SiteId,
    session: SessionDep,
    store: StoreDep,
    key: CurrentKey,
    start: StartQuery = None,
    end: EndQuery = None,
    granularity: GranularityQuery = None,
    format: FormatQuery = None,
    accept: AcceptHeader = None,
):
    """Scope 1 and Scope 2 (location- and market-based) over the range, by period, with completeness and factors.

    `start` defaults to the site's first stored reading. Each calendar year's readings
    use that year's factors (latest published data year not after it).
    """
    site = visible_site(session, key, site_id)

    def since_first_point(end_ts: int) -> int:
        first = _first_reading(session, store, site, end_ts)
        return first if first is not None else end_ts - _EMPTY_SPAN_S

    span = resolve_range(start, end, zone_of(site.timezone), default_start=since_first_point)
    _check_span(span, granularity)
    item = _inputs(session, site)

    def compute() -> Response:
        ledger = site_carbon(
            store, item.site, item.meters, span.start, span.end, instruments=item.instruments, granularity=granularity
        )
        body = SiteCarbonPublic.of(ledger, granularity)
        if _wants_csv(format, accept):
            return _csv(_site_rows(body), f"carbon-{site.site_id}.csv")
        return json_response(body)

    # A default start is the first reading: data a later backfill moves, outside the months read.
    if start is None or not _closed(span.end) or _wants_csv(format, accept):
        return compute()
    needs = Needs((REGISTRY,), readings_over(site.site_id, *_read_span(span.start, span.end, item.instruments)))
    return request.app.state.response_cache.answer(request, key, session, needs, compute)


def _closed(end_ts: int) -> bool:
    """Whether a range has ended: the ledger of a range still running changes with the clock (completeness)."""
    return end_ts <= time.time()


def _read_span(start: int, end: int, instruments: Sequence[GreenInstrument]) -> tuple[int, int]:
    """The readings a ledger of ``[start, end)`` reads: instruments' periods reaching beyond it widen it."""
    touching = [i for i in instruments if i.period_start < end and i.period_end > start]
    return min([start, *(i.period_start for i in touching)]), max([end, *(i.period_end for i in touching)])


def _year_start(end_ts: int) -> int:
    local = datetime.fromtimestamp(end_ts - 1, HOME_ZONE)
    return int(datetime(local.year, 1, 1, tzinfo=local.tzinfo).timestamp())


@router.get(
    "/carbon",
    summary="Carbon ledger of the portfolio",
    response_model=PortfolioCarbonPublic,
    responses={200: _CSV_RESPONSE, **problem_responses(503)},
)
def get_portfolio_carbon(
    request: Request,
    session: SessionDep,
    store: StoreDep,
    key: CurrentKey,
    start: StartQuery = None,
    end: EndQuery = None,
    granularity: GranularityQuery = None,
    format: FormatQuery = None,
    accept: AcceptHeader = None,
    limit: Annotated[int, Query(ge=1, le=SITE_PAGE_MAX, description="Sites per page (in `sites`).")] = SITE_PAGE_DEFAULT,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Sites to skip, by site id.")] = 0,
):
    """Each site the caller may see, their sum, and the sum per period. `start` defaults to 1 January of `end`'s year.

    `sites` is one page of the sites by id (`limit`, `offset`; `sites_total` counts them all);
    `total`, `periods` and `factors` always cover every site the caller may see.
    """
    records = ledger_sites(session, key.site_ids)
    span = resolve_range(start, end, HOME_ZONE, default_start=_year_start)
    _check_span(span, granularity)
    instruments: dict[str, list[GreenInstrument]] = {}
    for r in session.scalars(select(GreenInstrumentRecord)):
        instruments.setdefault(r.site_id, []).append(
            GreenInstrument(r.instrument, r.mwh, r.period_start, r.period_end, r.vintage_year, r.reference, r.id)
        )
    by_site = meters_by_site(session)
    inputs = [SiteInputs(site, by_site.get(site.site_id, []), instruments.get(site.site_id, [])) for site in records]

    def compute() -> Response:
        fields = portfolio_fields(
            portfolio_carbon(store, inputs, span.start, span.end, granularity=granularity), granularity, offset, limit
        )
        if not _wants_csv(format, accept):
            # Plain dicts straight to JSON with pydantic's serialiser: half the time of building
            # and dumping 1,001 validated site models (json.dumps would be slower than both).
            return Response(pydantic_core.to_json(fields), media_type="application/json")
        return _portfolio_csv(fields, granularity)

    if not _closed(span.end) or _wants_csv(format, accept):
        return compute()
    # Any site's readings in the months read (over-invalidating for a caller who sees fewer: one read, not thousands).
    lo, hi = _read_span(span.start, span.end, [i for kept in instruments.values() for i in kept])
    return request.app.state.response_cache.answer(
        request, key, session, Needs((REGISTRY,), readings_over(None, lo, hi)), compute
    )


def _portfolio_csv(fields: dict, granularity: str | None) -> Response:
    body = PortfolioCarbonPublic.model_validate(fields)
    rows: list[_CsvRow] = [(s.site_id, s, s.start.isoformat(), s.end.isoformat(), s.factors) for s in body.sites]
    rows += [("portfolio", p, p.start.isoformat(), p.end.isoformat(), p.factors) for p in body.periods if granularity]
    rows.append(("portfolio", body.total, body.start.isoformat(), body.end.isoformat(), body.factors))
    return _csv(rows, "carbon-portfolio.csv")


# -- green instruments ------------------------------------------------------


@router.get(
    "/sites/{site_id}/green-instruments",
    summary="Green certificates and contracts of a site",
    response_model=GreenInstrumentsPublic,
    responses=problem_responses(404),
)
def list_green_instruments(site_id: SiteId, session: SessionDep, key: CurrentKey) -> GreenInstrumentsPublic:
    """GECs and green-power contracts recorded for the site, oldest period first."""
    visible_site(session, key, site_id)
    records = session.scalars(
        select(GreenInstrumentRecord)
        .where(GreenInstrumentRecord.site_id == site_id)
        .order_by(GreenInstrumentRecord.period_start, GreenInstrumentRecord.id)
    ).all()
    return GreenInstrumentsPublic(data=[GreenInstrumentPublic.of(r) for r in records], total=len(records))


@router.post(
    "/sites/{site_id}/green-instruments",
    summary="Record green certificates or a green-power contract",
    response_model=GreenInstrumentPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 404),
)
def create_green_instrument(
    site_id: SiteId, body: GreenInstrumentCreate, session: SessionDep, key: CurrentKey
) -> GreenInstrumentPublic:
    """Admins only. Covers the site's grid electricity in the period (1 GEC = 1 MWh) in market-based Scope 2."""
    site = admin_site(session, key, site_id, "record green instruments")
    tz = zone_of(site.timezone)
    period_start = parse_instant(body.period_start, "period_start", tz)
    period_end = parse_instant(body.period_end, "period_end", tz, is_end=True)
    if period_end <= period_start:
        raise Problem(
            422,
            "'period_end' must be after 'period_start'.",
            kind="validation",
            errors=[{"loc": ["body", "period_end"], "msg": "must be after period_start", "type": "value_error"}],
        )
    if body.instrument == "gec" and body.mwh != int(body.mwh):
        raise Problem(
            422,
            "GECs come in whole certificates of 1 MWh.",
            kind="validation",
            errors=[{"loc": ["body", "mwh"], "msg": "must be a whole number for gec", "type": "value_error"}],
        )
    record = GreenInstrumentRecord(
        site_id=site.site_id,
        instrument=body.instrument,
        mwh=body.mwh,
        period_start=period_start,
        period_end=period_end,
        vintage_year=body.vintage_year,
        reference=body.reference,
        created_at=int(time.time()),
    )
    session.add(record)
    session.commit()
    log.info("green instrument %s (%s MWh) recorded for site %s by %s", record.id, record.mwh, site.site_id, key.name)
    return GreenInstrumentPublic.of(record)


@router.delete(
    "/sites/{site_id}/green-instruments/{instrument_id}",
    summary="Delete a green instrument",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(403, 404),
)
def delete_green_instrument(
    site_id: SiteId, instrument_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep, key: CurrentKey
) -> Response:
    """Admins only; the market-based totals of its period go back to the residual mix."""
    site = admin_site(session, key, site_id, "delete green instruments")
    record = session.get(GreenInstrumentRecord, instrument_id)
    if record is None or record.site_id != site.site_id:
        raise not_found("green instrument", instrument_id)
    session.delete(record)
    session.commit()
    log.info("green instrument %s of site %s deleted by %s", instrument_id, site.site_id, key.name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
