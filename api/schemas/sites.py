"""Site and meter payloads: what is served, and what administrators send to create or change them."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from api.schemas.common import utc
from api.schemas.tariff_plans import TariffPlanBody
from api.schemas.tariffs import TouPeriod, check_covers_day
from core import site_rules as rules
from core.db.tables import MeterRecord, SiteRecord
from core.domain import ID_PATTERN, MeterCategory, SiteType, unit_of
from core.timebase import HOME_TIMEZONE

log = logging.getLogger(__name__)
_ID_PATTERN = f"^{ID_PATTERN.pattern}$"

# The rules of core.site_rules, which MQTT meta announcements pass too; the Field bounds only
# document them in the OpenAPI schema (and agree with them).
SiteName = Annotated[
    str, Field(min_length=1, max_length=rules.NAME_MAX, examples=["徐汇花园"]), AfterValidator(rules.check_site_name)
]
City = Annotated[str, Field(max_length=rules.CITY_MAX), AfterValidator(rules.check_city)]
Province = Annotated[
    str,
    Field(
        min_length=1,
        max_length=rules.PROVINCE_MAX,
        examples=["上海"],
        description="A provincial-level division: 上海, 广东省, Guangdong ...",
    ),
    AfterValidator(rules.check_province),
]
Latitude = Annotated[float, Field(strict=True, ge=rules.LATITUDE[0], le=rules.LATITUDE[1]), AfterValidator(rules.check_latitude)]
Longitude = Annotated[
    float, Field(strict=True, ge=rules.LONGITUDE[0], le=rules.LONGITUDE[1]), AfterValidator(rules.check_longitude)
]
TimeZone = Annotated[str, Field(examples=[HOME_TIMEZONE]), AfterValidator(rules.check_timezone)]
# Tagged by shape, so a bad plan's 422 names only the plan's field (tou_tariff.plan.versions.0...),
# not also "input should be a list".
TouTariff = Annotated[
    Annotated[Annotated[list[TouPeriod], Field(max_length=24)], Tag("periods")] | Annotated[TariffPlanBody, Tag("plan")],
    Discriminator(lambda v: "periods" if isinstance(v, list) else "plan"),
]
MeterName = Annotated[str, Field(max_length=rules.NAME_MAX, examples=["1号楼走廊照明"]), AfterValidator(rules.check_name)]
RatedKw = Annotated[float, Field(strict=True, ge=0, le=rules.RATED_KW_MAX, examples=[4.5]), AfterValidator(rules.check_rated_kw)]
RegisterMax = Annotated[float, Field(strict=True, gt=0, examples=[99999.99]), AfterValidator(rules.check_register_max)]


Clock = Annotated[
    str, Field(pattern=rules.CLOCK_PATTERN, description="Local time HH:MM on the hour or half hour.", examples=["08:30"])
]


class OpeningWindow(BaseModel):
    """The hours a site is open on one kind of day, local time [open, close)."""

    model_config = ConfigDict(extra="forbid")

    open: Clock
    close: Clock = Field(description="After open; at most 24:00 (no window past midnight: round the clock is 00:00-24:00).")


class OpeningHoursBody(BaseModel):
    """Declared opening hours: a prior for the detector, which learns the site's own hours from its load."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"workday": {"open": "08:00", "close": "19:00"}, "other": None}]},
    )

    workday: OpeningWindow | None = Field(description="Working days (make-up working days included); null: closed.")
    other: OpeningWindow | None = Field(description="Weekends and public holidays; null: closed.")

    @model_validator(mode="after")
    def _rules(self) -> OpeningHoursBody:
        # core.site_rules has the last word (close after open), as for a meta announcement.
        rules.check_opening_hours(self.model_dump())
        return self


def stored_hours(value: OpeningHoursBody | None) -> dict | None:
    """Validated hours as ``SiteRecord.opening_hours`` keeps them (and meta announcements carry them)."""
    return None if value is None else rules.opening_hours_json(rules.check_opening_hours(value.model_dump()))


def _served_hours(site_id: str, stored: Any) -> OpeningHoursBody | None:
    """The stored column as served; an unreadable one is served as none declared (and detection
    reads it so: core.db.registry.declared_hours)."""
    if stored is None:
        return None
    try:
        return OpeningHoursBody.model_validate(stored)
    except ValidationError as exc:
        log.warning("site %s: stored opening_hours not served: %s", site_id, str(exc)[:200])
        return None


class MeterPublic(BaseModel):
    """A meter of a site, with the time of its newest stored reading."""

    meter_id: str = Field(examples=["sh-xuhui-01-corridor-1"])
    site_id: str = Field(examples=["sh-xuhui-01"])
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
            site_id=record.site_id,
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
    location_source: str = Field(
        description="given, or province_capital when no coordinates were given (sunrise and sunset are then "
        "the capital's; a no_coordinates finding says so).",
        examples=["given"],
    )
    timezone: str = Field(examples=[HOME_TIMEZONE])
    retired_at: datetime | None = Field(
        default=None,
        description="When an empty meta announcement removed the site; None while active. "
        "A retired site keeps its data; ingest refuses its readings.",
    )
    tariff_cny_per_kwh: float | None = Field(description="Site tariff; None means the configured default.")
    tou_tariff: list[TouPeriod] | TariffPlanBody | None = Field(
        default=None,
        description="Time-of-use periods, or a plan with seasons, holiday rates and effective dates "
        "(docs/tariffs.md); None means flat.",
    )
    opening_hours: OpeningHoursBody | None = Field(
        default=None,
        description="Declared opening hours, local time; None: none declared. A prior for the "
        "detector, never a requirement: it learns the site's hours from its load.",
    )

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
            location_source=record.location_source,
            timezone=record.timezone,
            retired_at=utc(record.retired_at) if record.retired_at is not None else None,
            tariff_cny_per_kwh=record.tariff_cny_per_kwh,
            tou_tariff=_served_tariff(record.site_id, record.tou_tariff),
            opening_hours=_served_hours(record.site_id, record.opening_hours),
        )


def _served_tariff(site_id: str, stored: Any) -> list[TouPeriod] | TariffPlanBody | None:
    """The stored column as served; one unreadable tariff must not break the list of sites."""
    if not stored:
        return None
    try:
        if isinstance(stored, list):
            return [TouPeriod.model_validate(p) for p in stored]
        return TariffPlanBody.model_validate(stored)
    except ValidationError as exc:
        # Detection reads it leniently (models.tariff.Tariff.of); here it is served as unknown.
        log.warning("site %s: stored tou_tariff not served: %s", site_id, str(exc)[:200])
        return None


def stored_tariff(value: list[TouPeriod] | TariffPlanBody | None) -> list[dict] | dict | None:
    """A validated tariff as ``SiteRecord.tou_tariff`` keeps it (what ``core.tariffs.parse_plan`` reads)."""
    if isinstance(value, TariffPlanBody):
        return value.stored()
    return [p.model_dump() for p in value] if value else None


class SiteDetailPublic(SitePublic):
    """A site with its meters."""

    meters: list[MeterPublic]


class SitesPublic(BaseModel):
    """One page of the sites the caller may see; ``total`` counts them all."""

    data: list[SitePublic]
    total: int
    limit: int = Field(examples=[5000])
    offset: int = Field(examples=[0])


class SiteUpdate(BaseModel):
    """Fields of a site to change; absent fields stay as they are, null tariffs clear them."""

    model_config = ConfigDict(extra="forbid")

    # Not nullable: a site always has these, so null could only mean "no change", which
    # leaving the field out already says (and a client reading null as "clear" would be surprised).
    # The default None is never validated, so the document shows them as non-null, optional.
    name: SiteName = None  # type: ignore[assignment]
    site_type: SiteType = None  # type: ignore[assignment]
    city: City = None  # type: ignore[assignment]
    province: Province = None  # type: ignore[assignment]
    latitude: Latitude = None  # type: ignore[assignment]
    longitude: Longitude = None  # type: ignore[assignment]
    timezone: TimeZone = None  # type: ignore[assignment]
    tariff_cny_per_kwh: float | None = Field(default=None, strict=True, ge=0, le=100, examples=[0.85])
    tou_tariff: TouTariff | None = Field(
        default=None,
        description="Periods covering every minute of the day exactly once (at most 24), or a plan with seasons, "
        "holiday rates and effective dates (docs/tariffs.md); null returns to the flat price.",
        examples=[
            [
                {"name": "peak", "start": "08:00", "end": "22:00", "price": 1.05},
                {"name": "valley", "start": "22:00", "end": "08:00", "price": 0.36},
            ]
        ],
    )

    opening_hours: OpeningHoursBody | None = Field(
        default=None,
        description="Declared opening hours (a prior for the detector, which learns the site's own hours from its "
        "load); null: none declared. A meta announcement that carries opening_hours sets them too.",
        examples=[{"workday": {"open": "08:30", "close": "19:00"}, "other": None}],
    )

    @field_validator("tou_tariff")
    @classmethod
    def _covers_day(cls, value: list[TouPeriod] | TariffPlanBody | None) -> list[TouPeriod] | TariffPlanBody | None:
        return check_covers_day(value) if isinstance(value, list) and value else value


class SiteCreate(SiteUpdate):
    """A new site."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "site_id": "sh-xuhui-01",
                    "name": "徐汇花园",
                    "site_type": "residential",
                    "city": "上海",
                    "province": "上海",
                    "latitude": 31.19,
                    "longitude": 121.44,
                    "timezone": HOME_TIMEZONE,
                    "tariff_cny_per_kwh": 0.85,
                }
            ]
        },
    )

    site_id: str = Field(pattern=_ID_PATTERN, examples=["sh-xuhui-01"])
    name: SiteName
    site_type: SiteType
    province: Province


class MeterFields(BaseModel):
    """Fields of a meter an administrator sets."""

    model_config = ConfigDict(extra="forbid")

    # Not nullable, as for a site: a meter always has them; leave a field out to keep it.
    name: MeterName = None  # type: ignore[assignment]
    category: MeterCategory = None  # type: ignore[assignment]
    rated_kw: RatedKw = None  # type: ignore[assignment]
    register_max: RegisterMax | None = Field(default=None, description="Null: rollover point unknown.")


class MeterUpdate(MeterFields):
    """Fields of a meter to change; ``site_id`` moves it to another site."""

    site_id: str | None = Field(
        default=None,
        pattern=_ID_PATTERN,
        examples=["sh-xuhui-02"],
        description="Move the meter to this site. Only an administrator moves a meter: a site's meta "
        "announcement listing another site's meter is dead-lettered as meter_claimed. Points "
        "stored before the move stay with the old site.",
    )


class MeterCreate(MeterFields):
    """A new meter of the site in the path."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"meter_id": "sh-xuhui-01-corridor-1", "name": "1号楼走廊照明", "category": "corridor_lighting", "rated_kw": 4.5}
            ]
        },
    )

    meter_id: str = Field(pattern=_ID_PATTERN, examples=["sh-xuhui-01-corridor-1"])
    category: MeterCategory
