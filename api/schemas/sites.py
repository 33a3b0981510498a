"""Site and meter payloads: what is served, and what administrators send to create or change them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.db.tables import MeterRecord, SiteRecord
from core.domain import MeterCategory, SiteType, unit_of
from api.schemas.common import utc
from api.schemas.tariffs import TouPeriod, check_covers_day

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class MeterPublic(BaseModel):
    """A meter of a site, with the time of its newest stored reading."""

    meter_id: str = Field(examples=["sh-xuhui-01-corridor-1"])
    name: str = Field(examples=["1号楼走廊照明"])
    category: str = Field(examples=["corridor_lighting"])
    unit: str = Field(description="kWh, or m3 for gas meters.", examples=["kWh"])
    rated_kw: float = Field(examples=[4.5])
    register_max: float | None = Field(default=None, description="Register rollover point, if announced.")
    last_seen: datetime | None = Field(description="Newest stored reading (UTC); None if none yet.")

    @classmethod
    def of(cls, record: MeterRecord, last_seen: int | None) -> MeterPublic:
        return cls(
            meter_id=record.meter_id,
            name=record.name,
            category=record.category,
            unit=unit_of(MeterCategory(record.category)),
            rated_kw=record.rated_kw,
            register_max=record.register_max,
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
    tou_tariff: list[TouPeriod] | None = Field(default=None, description="Time-of-use periods; None means flat.")

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
            tou_tariff=[TouPeriod.model_validate(p) for p in record.tou_tariff] if record.tou_tariff else None,
        )


class SiteDetailPublic(SitePublic):
    """A site with its meters."""

    meters: list[MeterPublic]


class SitesPublic(BaseModel):
    """The sites the caller may see."""

    data: list[SitePublic]
    total: int


class SiteUpdate(BaseModel):
    """Fields of a site to change; absent fields stay as they are, null tariffs clear them."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200, examples=["徐汇花园"])
    site_type: SiteType | None = None
    city: str | None = Field(default=None, max_length=100)
    province: str | None = Field(default=None, min_length=1, max_length=32, examples=["上海"])
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    timezone: str | None = Field(default=None, examples=["Asia/Shanghai"])
    tariff_cny_per_kwh: float | None = Field(default=None, ge=0, le=100, examples=[0.85])
    tou_tariff: list[TouPeriod] | None = Field(
        default=None,
        max_length=24,
        description="Periods covering every minute of the day exactly once.",
        examples=[[
            {"name": "peak", "start": "08:00", "end": "22:00", "price": 1.05},
            {"name": "valley", "start": "22:00", "end": "08:00", "price": 0.36},
        ]],
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError("is not an IANA time zone such as Asia/Shanghai") from None
        return value

    @field_validator("tou_tariff")
    @classmethod
    def _covers_day(cls, value: list[TouPeriod] | None) -> list[TouPeriod] | None:
        return check_covers_day(value) if value else value


class SiteCreate(SiteUpdate):
    """A new site."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{
                "site_id": "sh-xuhui-01", "name": "徐汇花园", "site_type": "residential", "city": "上海",
                "province": "上海", "latitude": 31.19, "longitude": 121.44, "timezone": "Asia/Shanghai",
                "tariff_cny_per_kwh": 0.85,
            }]
        },
    )

    site_id: str = Field(pattern=_ID_PATTERN, examples=["sh-xuhui-01"])
    name: str = Field(min_length=1, max_length=200)
    site_type: SiteType
    province: str = Field(min_length=1, max_length=32)


class MeterUpdate(BaseModel):
    """Fields of a meter to change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200, examples=["1号楼走廊照明"])
    category: MeterCategory | None = None
    rated_kw: float | None = Field(default=None, ge=0, le=100000, examples=[4.5])
    register_max: float | None = Field(default=None, gt=0, examples=[99999.99])


class MeterCreate(MeterUpdate):
    """A new meter of the site in the path."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"meter_id": "sh-xuhui-01-corridor-1", "name": "1号楼走廊照明",
                                         "category": "corridor_lighting", "rated_kw": 4.5}]},
    )

    meter_id: str = Field(pattern=_ID_PATTERN, examples=["sh-xuhui-01-corridor-1"])
    category: MeterCategory
