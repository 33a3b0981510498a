"""Time-of-use tariff periods: validated so that every minute of the day has exactly one price."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

_CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
MINUTES_PER_DAY = 1440


def minute_of(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class TouPeriod(BaseModel):
    """One price band in local time; ``end`` before ``start`` wraps past midnight."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "valley", "start": "23:00", "end": "07:00", "price": 0.31}]},
    )

    name: str = Field(min_length=1, max_length=24, description="e.g. sharp, peak, flat, valley.")
    # The document states the clock's exact pattern (a client can check it); the validator below
    # enforces it with a message that names the rule.
    start: str = Field(json_schema_extra={"pattern": _CLOCK.pattern}, description="Local time HH:MM.", examples=["08:00"])
    end: str = Field(
        json_schema_extra={"pattern": _CLOCK.pattern},
        description="Local time HH:MM (exclusive; 24:00 allowed).",
        examples=["11:00"],
    )
    price: float = Field(strict=True, ge=0, le=100, description="CNY per kWh.", examples=[1.25])

    @field_validator("start", "end")
    @classmethod
    def _is_clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError("must be a time of day HH:MM between 00:00 and 24:00")
        return value

    def minutes(self) -> list[int]:
        """The minutes of the day this period covers."""
        start, end = minute_of(self.start) % MINUTES_PER_DAY, minute_of(self.end) % MINUTES_PER_DAY
        if start == end:
            return list(range(MINUTES_PER_DAY))
        if start < end:
            return list(range(start, end))
        return list(range(start, MINUTES_PER_DAY)) + list(range(0, end))


def check_covers_day(periods: list[TouPeriod]) -> list[TouPeriod]:
    """``periods`` unchanged when they cover the day exactly once; ValueError naming the gap or overlap."""
    owner: list[str | None] = [None] * MINUTES_PER_DAY
    for period in periods:
        for minute in period.minutes():
            if owner[minute] is not None:
                raise ValueError(f"periods {owner[minute]!r} and {period.name!r} overlap at {minute // 60:02d}:{minute % 60:02d}")
            owner[minute] = period.name
    if None in owner:
        minute = owner.index(None)
        raise ValueError(f"no period covers {minute // 60:02d}:{minute % 60:02d}; periods must cover the whole day")
    return periods
