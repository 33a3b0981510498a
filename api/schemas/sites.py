"""Site and meter payloads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from core.db.tables import MeterRecord, SiteRecord
from core.domain import MeterCategory, unit_of
from api.schemas.common import utc


class MeterPublic(BaseModel):
    """A meter of a site, with the time of its newest stored reading."""

    meter_id: str = Field(examples=["sh-xuhui-01-corridor-1"])
    name: str = Field(examples=["1号楼走廊照明"])
    category: str = Field(examples=["corridor_lighting"])
    unit: str = Field(description="kWh, or m3 for gas meters.", examples=["kWh"])
    rated_kw: float = Field(examples=[4.5])
    last_seen: datetime | None = Field(description="Newest stored reading (UTC); None if none yet.")

    @classmethod
    def of(cls, record: MeterRecord, last_seen: int | None) -> MeterPublic:
        return cls(
            meter_id=record.meter_id,
            name=record.name,
            category=record.category,
            unit=unit_of(MeterCategory(record.category)),
            rated_kw=record.rated_kw,
            last_seen=utc(last_seen) if last_seen is not None else None,
        )


class SitePublic(BaseModel):
    """A property site."""

    site_id: str = Field(examples=["sh-xuhui-01"])
    name: str = Field(examples=["徐汇花园"])
    site_type: str = Field(examples=["residential"])
    city: str = Field(examples=["上海"])
    province: str = Field(examples=["上海"])
    latitude: float = Field(examples=[31.19])
    longitude: float = Field(examples=[121.44])
    timezone: str = Field(examples=["Asia/Shanghai"])
    tariff_cny_per_kwh: float | None = Field(description="Site tariff; None means the configured default.")

    @classmethod
    def of(cls, record: SiteRecord) -> SitePublic:
        return cls(
            site_id=record.site_id,
            name=record.name,
            site_type=record.site_type,
            city=record.city,
            province=record.province,
            latitude=record.latitude,
            longitude=record.longitude,
            timezone=record.timezone,
            tariff_cny_per_kwh=record.tariff_cny_per_kwh,
        )


class SiteDetailPublic(SitePublic):
    """A site with its meters."""

    meters: list[MeterPublic]


class SitesPublic(BaseModel):
    """The sites the API key may see."""

    data: list[SitePublic]
    total: int
