"""Dead letters (admins): the messages ingest rejected, to find a misconfigured gateway."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import AdminKey, SessionDep, SettingsDep
from api.schemas.common import Instant, epoch_of, problem_responses
from api.schemas.dead_letters import DeadLetterPublic, DeadLettersPublic
from core.db.dead_letters import DeadLetterQuery, read_dead_letters

router = APIRouter(prefix="/dead-letters", tags=["dead letters"], responses=problem_responses(401, 403, 422))


@router.get("", summary="List rejected messages", response_model=DeadLettersPublic)
def list_dead_letters(
    session: SessionDep,
    settings: SettingsDep,
    _admin: AdminKey,
    kind: Annotated[
        str | None, Query(max_length=48, description="Only this reason category.", examples=["malformed_json"])
    ] = None,
    site_id: Annotated[str | None, Query(max_length=64, description="Only topics of this site.", examples=["site-0002"])] = None,
    since: Annotated[Instant | None, Query(description="Received at or after (ISO 8601; naive is UTC).")] = None,
    until: Annotated[Instant | None, Query(description="Received before (ISO 8601; naive is UTC).")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Messages to skip.")] = 0,
) -> DeadLettersPublic:
    """Rejected messages, newest first: kind, topic, site, when, reason and the payload's first bytes."""
    query = DeadLetterQuery(settings.mqtt.topic_prefix, kind, site_id, epoch_of(since), epoch_of(until), limit, offset)
    rows, total = read_dead_letters(session, query)
    return DeadLettersPublic(data=[DeadLetterPublic.of(r) for r in rows], total=total, limit=limit, offset=offset)
