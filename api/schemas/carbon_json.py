"""Carbon ledgers as plain JSON-ready dicts, the one source of the carbon payloads' values.

The models in ``api.schemas.carbon`` validate these dicts (site ledgers, CSV) and document
the shape; the portfolio route serialises them directly (``pydantic_core.to_json``):
building, validating and dumping 1,001 site models took twice as long. ``tests/api/test_carbon_json.py`` holds both
to the same output.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from core.carbon import CarbonTotals, FactorUse, PeriodCarbon, PortfolioCarbon, SiteCarbon
from core.carbon.factors import EmissionFactor


# Cached: a portfolio's thousands of ledgers share their period bounds (5 % of a 5,000-site answer).
@functools.lru_cache(maxsize=4096)
def instant(ts: int) -> str:
    """An epoch-seconds timestamp as the models write it: ISO 8601 UTC with ``Z``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def totals_fields(t: CarbonTotals) -> dict[str, Any]:
    return {
        "kwh": t.kwh,
        "gas_m3": t.gas_m3,
        "pv_kwh": t.pv_kwh,
        "scope1_kg": t.scope1_kg,
        "scope2_location_kg": t.scope2_location_kg,
        "total_kg": t.total_kg,
        "grid_kwh": t.grid_kwh,
        "pv_self_consumed_kwh": t.pv_self_consumed_kwh,
        "certified_kwh": t.certified_kwh,
        "scope2_market_kg": t.scope2_market_kg,
        "total_market_kg": t.total_market_kg,
        "readings": t.readings,
        "expected_readings": t.expected_readings,
        "completeness": t.completeness,
        "kwh_by_category": dict(sorted(t.kwh_by_category.items())),
        "covered_start": instant(t.covered_start) if t.covered_start is not None else None,
        "covered_end": instant(t.covered_end) if t.covered_end is not None else None,
    }


@functools.lru_cache(maxsize=1024)
def factor_fields(factor: EmissionFactor) -> dict[str, Any]:
    """A factor with its provenance; factors are immutable and a portfolio repeats a few per site.

    Callers never change the returned dict (it is only serialised)."""
    return {
        "key": factor.key,
        "region": factor.region,
        "year": factor.year,
        "value": factor.value,
        "unit": factor.unit,
        "source": factor.source,
    }


def use_fields(use: FactorUse) -> dict[str, Any]:
    return {
        "role": use.role,
        "factor": factor_fields(use.factor),
        "reading_years": list(use.reading_years),
        "quantity": use.quantity,
    }


def period_fields(pc: PeriodCarbon) -> dict[str, Any]:
    return {
        **totals_fields(pc.totals),
        "label": pc.period.label,
        "start": instant(pc.period.start),
        "end": instant(pc.period.end),
        "factors": [use_fields(u) for u in pc.factors],
    }


def site_fields(ledger: SiteCarbon, granularity: str | None, *, with_periods: bool = True) -> dict[str, Any]:
    return {
        **totals_fields(ledger.totals),
        "site_id": ledger.site_id,
        "start": instant(ledger.start),
        "end": instant(ledger.end),
        "factor_year_rule": ledger.year,
        "electricity_factor": factor_fields(ledger.electricity_factor),
        "residual_factor": factor_fields(ledger.residual_factor),
        "gas_factor": factor_fields(ledger.gas_factor),
        "factors": [use_fields(u) for u in ledger.factors],
        "granularity": granularity,
        "periods": [period_fields(p) for p in ledger.periods] if with_periods else [],
        "meter_intervals_s": dict(ledger.intervals),
        "unclassified_meters": list(ledger.unclassified_meters),
    }


def portfolio_fields(
    portfolio: PortfolioCarbon, granularity: str | None, offset: int = 0, limit: int | None = None
) -> dict[str, Any]:
    """The portfolio with the page ``offset``, ``limit`` of its sites (all by default); totals cover every site."""
    limit = len(portfolio.sites) if limit is None else limit
    return {
        "sites": [site_fields(s, granularity, with_periods=False) for s in portfolio.sites[offset : offset + limit]],
        "total": totals_fields(portfolio.totals),
        "start": instant(portfolio.start),
        "end": instant(portfolio.end),
        "granularity": granularity,
        "periods": [period_fields(p) for p in portfolio.periods],
        "factors": [use_fields(u) for u in portfolio.factors],
        "sites_total": len(portfolio.sites),
        "limit": limit,
        "offset": offset,
    }
