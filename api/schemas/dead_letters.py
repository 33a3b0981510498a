"""Rejected messages as admins read them: what, from where, when, and the first bytes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import utc
from core.db.dead_letters import HEAD_BYTES, DeadLetterRow


class DeadLetterPublic(BaseModel):
    """One message, or part of a batch, that ingest could not accept."""

    id: int
    received_at: datetime
    kind: str = Field(description="Why, as a category.", examples=["malformed_json"])
    topic: str = Field(examples=["kilowatch/v1/site-0002/batch"])
    site_id: str | None = Field(
        description="The site the topic names; null for a topic outside the prefix.", examples=["site-0002"]
    )
    reason: str = Field(examples=["malformed JSON: Expecting value at char 0"])
    payload_head: str = Field(
        description=f"The first {HEAD_BYTES} bytes as UTF-8 text (bad bytes as U+FFFD, control characters escaped).",
        examples=['{"v": 1, "readings": [{"meter": "site-0002-elevator-1", "kwh": "NaN"'],
    )
    payload_bytes: int = Field(description="Size of the stored payload (ingest keeps at most 2,048 bytes).", examples=[1830])

    @classmethod
    def of(cls, row: DeadLetterRow) -> DeadLetterPublic:
        return cls(**{**row._asdict(), "received_at": utc(row.received_at)})


class DeadLettersPublic(BaseModel):
    """One page of rejected messages, newest first; ``total`` counts all that match."""

    data: list[DeadLetterPublic]
    total: int
    limit: int
    offset: int
