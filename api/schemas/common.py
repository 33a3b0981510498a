"""Payload pieces shared by several resources: problem documents, timestamps, factors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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
    errors: list[dict[str, Any]] | None = Field(default=None, description="Per-field messages of a 422.")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json errors."""
    return {
        status: {"model": ProblemPublic, "content": {"application/problem+json": {}}}
        for status in statuses
    }


class FactorPublic(BaseModel):
    """An emission factor with its provenance."""

    key: str = Field(examples=["elec_avg_co2_province"])
    region: str = Field(examples=["上海"])
    year: int | None = Field(description="Data year of the factor (None for fuel defaults).", examples=[2023])
    value: float = Field(examples=[0.5306])
    unit: str = Field(examples=["kgCO2/kWh"])
    source: str = Field(examples=["MEE&NBS 公告2025年第47号"])
