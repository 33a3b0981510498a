"""Carbon payloads: one site's ledger and the portfolio over the sites a key may see."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from core.carbon import SiteCarbon
from api.schemas.common import FactorPublic, utc


class CarbonTotalsPublic(BaseModel):
    """Energy and emissions (kg CO2e) over a period."""

    kwh: float = Field(description="Grid electricity consumed.", examples=[1520.4])
    gas_m3: float = Field(description="Natural gas burned.", examples=[35.0])
    pv_kwh: float = Field(description="On-site PV generation, reported apart.", examples=[210.0])
    scope1_kg: float = Field(description="Scope 1 (gas combustion).", examples=[75.6])
    scope2_location_kg: float = Field(description="Scope 2, location-based.", examples=[806.7])
    total_kg: float = Field(description="scope1_kg + scope2_location_kg.", examples=[882.3])


class SiteCarbonPublic(CarbonTotalsPublic):
    """One site's carbon ledger over ``[start, end)`` with the factors used."""

    site_id: str = Field(examples=["sh-xuhui-01"])
    start: datetime
    end: datetime
    factor_year_rule: int = Field(description="Year the factor rule was applied to.", examples=[2024])
    electricity_factor: FactorPublic
    gas_factor: FactorPublic
    kwh_by_category: dict[str, float] = Field(examples=[{"corridor_lighting": 320.5}])
    unclassified_meters: list[str] = Field(description="Meters with data but unknown to the registry; not counted.")

    @classmethod
    def of(cls, ledger: SiteCarbon) -> SiteCarbonPublic:
        return cls(
            site_id=ledger.site_id,
            start=utc(ledger.start),
            end=utc(ledger.end),
            factor_year_rule=ledger.year,
            kwh=ledger.kwh,
            gas_m3=ledger.gas_m3,
            pv_kwh=ledger.pv_kwh,
            scope1_kg=ledger.scope1_kg,
            scope2_location_kg=ledger.scope2_location_kg,
            total_kg=ledger.total_kg,
            electricity_factor=FactorPublic.model_validate(ledger.electricity_factor, from_attributes=True),
            gas_factor=FactorPublic.model_validate(ledger.gas_factor, from_attributes=True),
            kwh_by_category=dict(ledger.kwh_by_category),
            unclassified_meters=list(ledger.unclassified_meters),
        )


class PortfolioCarbonPublic(BaseModel):
    """Per-site ledgers and their sum over the sites the key may see."""

    sites: list[SiteCarbonPublic]
    total: CarbonTotalsPublic
