"""Live alert changes as Server-Sent Events, found by polling the database.

The detector runs in another process, so there is nothing to subscribe to: each stream
asks for alerts whose ``updated_at`` moved since its cursor. Event ids are
``<updated_at>-<alert id>``; a reconnecting browser sends the last one back as
``Last-Event-ID`` and resumes from that second (repeats are possible, gaps are not).

Every poll looks the caller up again: a stream ends as soon as its key is revoked or its
session signed out, and follows changes to the caller's sites.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.deps import CurrentKey, OptionsDep, SessionDep, caller_again
from api.options import ApiOptions
from api.problems import Problem
from api.routes.alerts import in_scope
from api.schemas.alerts import AlertPublic
from api.schemas.common import problem_responses
from api.security import Principal
from core.db.tables import AlertRecord
from core.timebase import DAY

router = APIRouter(tags=["alerts"])


class _Slot:
    """One open stream; it counts for as long as the stream's generator holds it."""


class OpenStreams:
    """Streams open per caller, so that one key cannot hold the server's connections.

    Slots are weakly held: a stream whose generator never ran, or died without its
    ``finally``, frees its slot when it is collected instead of blocking its caller forever.
    """

    def __init__(self) -> None:
        self._open: dict[tuple[str, int], weakref.WeakSet[_Slot]] = {}
        self._lock = threading.Lock()

    def take(self, caller: tuple[str, int], limit: int) -> _Slot:
        """A slot for one more stream of ``caller``; 429 beyond ``limit``."""
        with self._lock:
            slots = self._open.setdefault(caller, weakref.WeakSet())
            if len(slots) >= limit:
                raise Problem(
                    429,
                    f"At most {limit} alert streams may be open at once per caller.",
                    kind="too-many-streams",
                    headers={"Retry-After": "5"},
                )
            slot = _Slot()
            slots.add(slot)
            return slot

    def release(self, caller: tuple[str, int], slot: _Slot) -> None:
        with self._lock:
            slots = self._open.get(caller)
            if slots is not None:
                slots.discard(slot)
                if not slots:
                    del self._open[caller]


def _open_streams(request: Request) -> OpenStreams:
    return request.app.state.open_streams


#: Changes read per poll; more wait for the next poll rather than building one huge query.
_BATCH = 500
#: Browsers wait this long before reconnecting after the stream ends.
_RETRY_MS = 2000


def _cursor_of(last_event_id: str | None, now: int) -> int:
    if last_event_id:
        head = last_event_id.split("-", 1)[0]
        if head.isdigit():
            # Never resume from further back than a day: that is a full reload, not a stream.
            return max(int(head), now - DAY)
    return now


class _CallerGone(Exception):
    """The stream's key was revoked or its session ended."""


class _Changes:
    """Alerts changed since a cursor, each (id, updated_at) reported once."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        caller: Callable[[Session], Principal | None],
        site_id: str | None,
        cursor: int,
    ) -> None:
        self.sessions, self.caller, self.site_id = sessions, caller, site_id
        self.cursor = cursor
        self.sent_at_cursor: set[int] = set()

    def poll(self) -> list[AlertPublic]:
        with self.sessions() as session:
            principal = self.caller(session)
            if principal is None:
                raise _CallerGone
            query = in_scope(select(AlertRecord).where(AlertRecord.updated_at >= self.cursor), principal)
            if self.site_id is not None:
                query = query.where(AlertRecord.site_id == self.site_id)
            query = query.order_by(AlertRecord.updated_at, AlertRecord.id).limit(_BATCH)
            rows = list(session.scalars(query))
        fresh = [r for r in rows if not (r.updated_at == self.cursor and r.id in self.sent_at_cursor)]
        for row in fresh:
            if row.updated_at > self.cursor:
                self.cursor, self.sent_at_cursor = row.updated_at, set()
            self.sent_at_cursor.add(row.id)
        return [AlertPublic.of(r) for r in fresh]


async def _events(
    request: Request, changes: _Changes, options: ApiOptions, caller: tuple[str, int], slot: _Slot
) -> AsyncIterator[str]:
    try:
        yield f"retry: {_RETRY_MS}\n\n"
        async for event in _changes_as_events(request, changes, options):
            yield event
    except _CallerGone:
        # The browser reconnects, gets 401, and the dashboard asks for a sign-in.
        return
    finally:
        _open_streams(request).release(caller, slot)


async def _changes_as_events(request: Request, changes: _Changes, options: ApiOptions) -> AsyncIterator[str]:
    started = last_sent = time.monotonic()
    while time.monotonic() - started < options.stream_max_s:
        if await request.is_disconnected():
            return
        for alert in await asyncio.to_thread(changes.poll):
            last_sent = time.monotonic()
            yield f"id: {int(alert.updated_at.timestamp())}-{alert.id}\nevent: alert\ndata: {alert.model_dump_json()}\n\n"
        if time.monotonic() - last_sent >= options.stream_heartbeat_s:
            last_sent = time.monotonic()
            yield ": keepalive\n\n"
        await asyncio.sleep(options.stream_poll_s)


@router.get(
    "/alerts/stream",
    summary="Stream alert changes",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "`event: alert` messages whose data is an alert (as in the list).",
            "content": {
                "text/event-stream": {
                    "schema": {"type": "string"},
                    "example": 'id: 1717200000-17\nevent: alert\ndata: {"id": 17, "status": "open", ...}\n\n',
                }
            },
        },
        **problem_responses(401, 422, 429),
    },
)
async def stream_alerts(
    request: Request,
    session: SessionDep,
    key: CurrentKey,
    options: OptionsDep,
    site_id: Annotated[str | None, Query(max_length=64, description="Only this site.")] = None,
    last_event_id: Annotated[str | None, Header(max_length=64, description="Resume after this event.")] = None,
) -> StreamingResponse:
    """New and changed alerts of the caller's sites as they happen (Server-Sent Events).

    The stream ends after a few minutes; EventSource reconnects by itself. It also ends
    when the caller's key is revoked or session ended. A caller may hold a few streams at
    once (429 beyond).
    """
    # Authentication is done; the session must not hold a connection for the whole stream.
    session.close()
    caller = (key.via, key.key_id)
    slot = _open_streams(request).take(caller, options.stream_max_per_caller)
    changes = _Changes(request.app.state.sessions, caller_again(request), site_id, _cursor_of(last_event_id, int(time.time())))
    return StreamingResponse(
        _events(request, changes, options, caller, slot),
        media_type="text/event-stream",
        # Proxies (nginx) must pass events through as they come.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
