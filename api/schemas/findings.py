"""Data-quality findings (stale meters, resets, gaps, spikes): facts about the data, never waste."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import utc
from core.db.tables import DataFindingRecord


class FindingPublic(BaseModel):
    """One finding on one meter."""

    id: int
    site_id: str = Field(examples=["sh-xuhui-01"])
    meter_id: str = Field(examples=["sh-xuhui-01-pump-1"])
    kind: str = Field(
        description="stale_meter, register_reset, register_rollover, stuck_register, spike, gap or out_of_order.",
        examples=["stale_meter"],
    )
    started_at: datetime
    ended_at: datetime | None = Field(description="None while it lasts.")
    open: bool
    source: str = Field(description="ingest or detector.", examples=["ingest"])
    detail: dict[str, Any] | None = Field(description="What was seen.", examples=[{"last_reading_at": "2024-06-01T08:00:00Z"}])
    updated_at: datetime

    @classmethod
    def of(cls, record: DataFindingRecord) -> FindingPublic:
        try:
            detail = json.loads(record.detail) if record.detail else None
        except ValueError:
            detail = {"text": record.detail}
        if detail is not None and not isinstance(detail, dict):
            detail = {"value": detail}
        return cls(
            id=record.id,
            site_id=record.site_id,
            meter_id=record.meter_id,
            kind=record.kind,
            started_at=utc(record.started_at),
            ended_at=utc(record.ended_at) if record.ended_at is not None else None,
            open=record.open,
            source=record.source,
            detail=detail,
            updated_at=utc(record.updated_at),
        )


class FindingsPublic(BaseModel):
    """One page of a site's findings, newest first."""

    data: list[FindingPublic]
    total: int
    limit: int
    offset: int
