"""A tariff plan as the sites API takes and serves it: seasons, holiday rates, effective dates.

The format and its rules live in :mod:`core.tariffs` (docs/tariffs.md); these models only
state its shape in the OpenAPI document. ``parse_plan`` has the last word, so the document
and the detector's reading of a stored plan cannot drift apart.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import JsonInt
from api.schemas.tariffs import TouPeriod
from core.tariffs import parse_plan

Month = Annotated[JsonInt, Field(ge=1, le=12)]


class SeasonBody(BaseModel):
    """Periods that replace the day's prices in some months (e.g. summer 尖峰 in July and August)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=24, examples=["summer"])
    months: list[Month] = Field(min_length=1, max_length=12, examples=[[7, 8]])
    periods: list[TouPeriod] = Field(max_length=24)


class HolidaysBody(BaseModel):
    """Periods that replace the day's prices on the calendar's public holidays."""

    model_config = ConfigDict(extra="forbid")

    periods: list[TouPeriod] = Field(max_length=24)


class TariffVersionBody(BaseModel):
    """A tariff valid from ``from`` (a local date) until the next version's."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    valid_from: date | None = Field(default=None, alias="from", description="Null only for the first version: always.")
    periods: list[TouPeriod] = Field(
        default=[], max_length=24, description="Every day; hours no period covers pay the flat price."
    )
    seasons: list[SeasonBody] = Field(default=[], max_length=12)
    holidays: HolidaysBody | None = None
    note: str | None = Field(default=None, max_length=200)


class TariffPlanBody(BaseModel):
    """Time-of-use versions by date, with seasons and holiday rates (docs/tariffs.md)."""

    model_config = ConfigDict(extra="forbid")

    calendar: str = Field(default="CN", pattern=r"^[A-Z]{2}$", description="Whose public holidays the holiday rates follow.")
    versions: list[TariffVersionBody] = Field(min_length=1, max_length=50)
    name: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _parses(self) -> TariffPlanBody:
        # The rules across fields ('from' dates increasing, ...) are core.tariffs'; one home.
        parse_plan(self.stored())
        return self

    def stored(self) -> dict[str, Any]:
        """The JSON kept in ``SiteRecord.tou_tariff`` (what ``core.tariffs.parse_plan`` reads)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
