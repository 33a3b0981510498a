"""Payload pieces shared by several resources: problem documents, timestamps, factors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _a_number(value: Any) -> Any:
    # Lax pydantic took "30" and true for 30 and 1; strict int refuses 30.0, which JSON Schema
    # calls an integer. So: any JSON number with an integral value, nothing else.
    if isinstance(value, (bool, str)):
        raise ValueError("must be a JSON number, not text or a boolean")
    return value


#: An integer in a request body, as the document says: a JSON number (30 or 30.0), never "30" or true.
#: (Floats and booleans use ``Field(strict=True)``: strict float still takes 30, strict bool only true/false.)
JsonInt = Annotated[int, BeforeValidator(_a_number)]


#: Paging of the site-sized lists (sites, the portfolio's sites), in the alert list's shape
#: (``limit``/``offset`` in, ``total``/``limit``/``offset`` out). They were unpaged: the default
#: page still holds every site of the national portfolio of docs/benchmarks.md (5,000), so a
#: caller that does not page sees what it saw before; ``total`` says when there are more.
SITE_PAGE_DEFAULT = 5_000
SITE_PAGE_MAX = 10_000


def utc(ts: int) -> datetime:
    """An epoch-seconds timestamp as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)


class ProblemPublic(BaseModel):
    """An RFC 9457 problem document (media type ``application/problem+json``)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:kilowatch:problem:not-found",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "No site with id 'sh-xuhui-01'.",
                }
            ]
        },
    )

    type: str = Field(description="URN naming the kind of problem, or about:blank.")
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Per-field messages of a 422 (and of a 400 for a NUL character): loc, msg, type."
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json errors."""
    return {status: {"model": ProblemPublic, "content": {"application/problem+json": {}}} for status in statuses}


class FactorPublic(BaseModel):
    """An emission factor with its provenance."""

    key: str = Field(examples=["elec_avg_co2_province"])
    region: str = Field(examples=["上海"])
    year: int | None = Field(description="Data year of the factor (None for fuel defaults).", examples=[2023])
    value: float = Field(examples=[0.5306])
    unit: str = Field(examples=["kgCO2/kWh"])
    source: str = Field(examples=["MEE&NBS 公告2025年第47号"])


#: The time columns are 32-bit integers: a bound past them (or before 1970) matches like the
#: column's own limit instead of overflowing the database parameter (a 500 on PostgreSQL).
EPOCH_RANGE = (0, 2**31 - 1)


def _iso_text(value: object) -> object:
    # pydantic reads a number such as "15.65" as seconds since 1970; the document promises
    # ISO 8601 text, so a number is refused rather than taken for a moment in 1970.
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return value
        raise ValueError("must be an ISO 8601 date-time, not a number")
    return value


#: A query-parameter moment: ISO 8601 text only.
Instant = Annotated[datetime, BeforeValidator(_iso_text)]


def epoch_of(moment: datetime | None) -> int | None:
    """Epoch seconds of ``moment`` (naive is UTC), held inside the time columns' range."""
    if moment is None:
        return None
    seconds = int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())
    return min(max(seconds, EPOCH_RANGE[0]), EPOCH_RANGE[1])
