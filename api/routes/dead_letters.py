"""Dead letters (admins): the messages ingest rejected, to find a misconfigured gateway."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from core.db.dead_letters import DeadLetterQuery, read_dead_letters
from api.deps import AdminKey, SessionDep, SettingsDep
from api.schemas.common import problem_responses
from api.schemas.dead_letters import DeadLetterPublic, DeadLettersPublic

router = APIRouter(prefix="/dead-letters", tags=["dead letters"], responses=problem_responses(401, 403, 422))


#: The received_at column is a 32-bit integer: a bound past it (or before 1970) matches like the
#: column's own limit, instead of overflowing the database parameter (a 500).
_EPOCH_RANGE = (0, 2**31 - 1)


def _epoch(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    seconds = int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())
    return min(max(seconds, _EPOCH_RANGE[0]), _EPOCH_RANGE[1])


@router.get("", summary="List rejected messages", response_model=DeadLettersPublic)
def list_dead_letters(
    session: SessionDep,
    settings: SettingsDep,
    _admin: AdminKey,
    kind: Annotated[str | None, Query(max_length=48, description="Only this reason category.", examples=["malformed_json"])] = None,
    site_id: Annotated[str | None, Query(max_length=64, description="Only topics of this site.", examples=["site-0002"])] = None,
    since: Annotated[datetime | None, Query(description="Received at or after (ISO 8601; naive is UTC).")] = None,
    until: Annotated[datetime | None, Query(description="Received before (ISO 8601; naive is UTC).")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Messages to skip.")] = 0,
) -> DeadLettersPublic:
    """Rejected messages, newest first: kind, topic, site, when, reason and the payload's first bytes."""
    query = DeadLetterQuery(settings.mqtt.topic_prefix, kind, site_id, _epoch(since), _epoch(until), limit, offset)
    rows, total = read_dead_letters(session, query)
    return DeadLettersPublic(data=[DeadLetterPublic.of(r) for r in rows], total=total, limit=limit, offset=offset)
