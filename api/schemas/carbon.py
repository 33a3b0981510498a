"""Carbon payloads: site and portfolio ledgers with periods, factors and completeness; green instruments."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas.carbon_json import portfolio_fields, site_fields
from api.schemas.common import FactorPublic, JsonInt, utc
from core.carbon import PortfolioCarbon, SiteCarbon
from core.db.tables import GreenInstrumentRecord

Granularity = Literal["day", "month", "year"]


class CarbonTotalsPublic(BaseModel):
    """Energy and emissions (kg CO2) over a period. Scope 2 is reported location- and market-based side by side."""

    kwh: float = Field(description="Metered electricity consumption (every kWh meter except PV).", examples=[1520.4])
    gas_m3: float = Field(description="Natural gas burned.", examples=[35.0])
    pv_kwh: float = Field(description="On-site PV generation, reported apart; never negative emissions.", examples=[210.0])
    scope1_kg: float = Field(description="Scope 1 (gas combustion).", examples=[75.67])
    scope2_location_kg: float = Field(
        description="Scope 2, location-based: grid_kwh x the provincial average factor of each reading's year.",
        examples=[595.1],
    )
    total_kg: float = Field(description="scope1_kg + scope2_location_kg.", examples=[670.77])
    grid_kwh: float = Field(
        description="Electricity from the grid: per 15-minute interval, consumption minus PV generation, floored at zero.",
        examples=[1350.4],
    )
    pv_self_consumed_kwh: float = Field(description="kwh - grid_kwh: PV consumed behind the meter.", examples=[170.0])
    certified_kwh: float = Field(
        description="Part of grid_kwh covered by green certificates (GEC, 1 per MWh) or green-power contracts.",
        examples=[500.0],
    )
    scope2_market_kg: float = Field(
        description="Scope 2, market-based: certified kWh at zero, the rest at the national residual-mix factor.",
        examples=[518.4],
    )
    total_market_kg: float = Field(description="scope1_kg + scope2_market_kg.", examples=[594.07])
    readings: int = Field(description="Readings present in the period (every registered meter).", examples=[2970])
    expected_readings: float = Field(
        description="Readings expected up to now: seconds of the period / each meter's reporting interval, summed.",
        examples=[2976.0],
    )
    completeness: float | None = Field(
        description="readings / expected_readings, at most 1; null when nothing was expected yet (a future period).",
        examples=[0.998],
    )
    kwh_by_category: dict[str, float] = Field(examples=[{"corridor_lighting": 320.5, "elevator": 1199.9}])
    covered_start: datetime | None = Field(
        default=None,
        description="Start of the part of the period completeness counts: the start of the first segment with "
        "readings (a day, month or year of the granularity asked; the whole range without one), so sites that began "
        "inside the period are not counted as missing the time before. A registered site with no readings at all is "
        "expected over the whole period. Null when nothing was expected yet.",
    )
    covered_end: datetime | None = Field(default=None, description="End of that part: the period's end, or now.")


class FactorUsePublic(BaseModel):
    """A factor the ledger applied, to what, and for which years of readings."""

    role: Literal["scope2_location", "scope2_market_residual", "scope1_gas"] = Field(examples=["scope2_location"])
    factor: FactorPublic
    reading_years: list[int] = Field(description="Calendar years (local) of the readings it was applied to.", examples=[[2024]])
    quantity: float = Field(description="kWh (electricity) or m3 (gas) it was applied to.", examples=[1350.4])


class CarbonPeriodPublic(CarbonTotalsPublic):
    """One day, month or year (local time of the site), clipped to the requested range."""

    label: str = Field(description='Local date, "YYYY-MM" or "YYYY"; "total" without granularity.', examples=["2024-06"])
    start: datetime
    end: datetime
    factors: list[FactorUsePublic]


class SiteCarbonPublic(CarbonTotalsPublic):
    """One site's carbon ledger over ``[start, end)``: totals, periods, and every factor used."""

    site_id: str = Field(examples=["sh-xuhui-01"])
    start: datetime
    end: datetime
    factor_year_rule: int = Field(
        description="Year of the first reading day; each year's readings use that year's factors.", examples=[2024]
    )
    electricity_factor: FactorPublic = Field(description="Location-based factor for factor_year_rule.")
    residual_factor: FactorPublic = Field(description="Market-based residual-mix factor for factor_year_rule.")
    gas_factor: FactorPublic
    factors: list[FactorUsePublic] = Field(description="Every factor applied over the range (several when it spans years).")
    granularity: Granularity | None = None
    periods: list[CarbonPeriodPublic] = Field(
        description="The periods asked for with `granularity` (one 'total' period without it); empty inside a portfolio."
    )
    meter_intervals_s: dict[str, int] = Field(
        description="Reporting interval per registered meter used for completeness (median daily spacing, or 900 s).",
        examples=[{"sh-xuhui-01-corridor-1": 900}],
    )
    unclassified_meters: list[str] = Field(description="Meters with data but unknown to the registry; not counted.")

    @classmethod
    def of(cls, ledger: SiteCarbon, granularity: str | None = None) -> SiteCarbonPublic:
        return cls.model_validate(site_fields(ledger, granularity))


class PortfolioCarbonPublic(BaseModel):
    """Per-site ledgers over the sites the caller may see, their sum, and the sum per period."""

    sites: list[SiteCarbonPublic]
    total: CarbonTotalsPublic
    start: datetime
    end: datetime
    granularity: Granularity | None = None
    periods: list[CarbonPeriodPublic] = Field(description="Portfolio sums per period label (sites' local time).")
    factors: list[FactorUsePublic] = Field(description="Every factor applied across the portfolio.")
    sites_total: int = Field(description="Sites in the portfolio; `sites` is the page `offset`, `limit` of them.")
    limit: int = Field(examples=[5000])
    offset: int = Field(examples=[0])

    @classmethod
    def of(cls, portfolio: PortfolioCarbon, granularity: str | None) -> PortfolioCarbonPublic:
        return cls.model_validate(portfolio_fields(portfolio, granularity))


class GreenInstrumentCreate(BaseModel):
    """Green certificates or a green-power contract held for a site's consumption in a period."""

    model_config = ConfigDict(extra="forbid")

    instrument: Literal["gec", "green_power_contract"] = Field(
        description="gec: China green electricity certificates (绿证); green_power_contract: 绿电交易 (energy with GECs).",
        examples=["gec"],
    )
    mwh: float = Field(strict=True, gt=0, le=1e7, description="MWh covered; for GECs the number of certificates.", examples=[120])
    period_start: str = Field(
        description="Start of the consumption period covered: ISO date or datetime, naive = the site's local time.",
        examples=["2024-01-01"],
    )
    period_end: str = Field(description="End of the period; a date alone includes that whole day.", examples=["2024-12-31"])
    vintage_year: JsonInt = Field(ge=2000, le=2100, description="Year the certified power was generated.", examples=[2024])
    reference: str = Field(
        default="", max_length=200, description="Certificate or contract number.", examples=["GEC-2024-000123"]
    )

    @field_validator("mwh")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class GreenInstrumentPublic(BaseModel):
    """A recorded green instrument."""

    id: int = Field(examples=[7])
    site_id: str = Field(examples=["sh-xuhui-01"])
    instrument: str = Field(examples=["gec"])
    mwh: float = Field(examples=[120])
    period_start: datetime
    period_end: datetime
    vintage_year: int = Field(examples=[2024])
    reference: str = Field(examples=["GEC-2024-000123"])
    created_at: datetime

    @classmethod
    def of(cls, r: GreenInstrumentRecord) -> GreenInstrumentPublic:
        return cls(
            id=r.id,
            site_id=r.site_id,
            instrument=r.instrument,
            mwh=r.mwh,
            period_start=utc(r.period_start),
            period_end=utc(r.period_end),
            vintage_year=r.vintage_year,
            reference=r.reference,
            created_at=utc(r.created_at),
        )


class GreenInstrumentsPublic(BaseModel):
    data: list[GreenInstrumentPublic]
    total: int
