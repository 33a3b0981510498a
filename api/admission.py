"""Admits at most as many requests into the app as the database pool has connections.

Each request takes a pooled connection in a thread of FastAPI's pool (the key check) and
needs that thread pool again before it gives the connection back (the endpoint, then the
session dependency's exit). With more requests inside than connections, the waiters for a
connection can hold every thread while the holders wait for one: nothing moves until
SQLAlchemy's 30 s pool timeout answers the waiters 500. Requests beyond the limit wait
here instead, on the event loop, holding neither a thread nor a connection.

Alert streams are let through: they hold their request for minutes, take a connection
only for a moment per poll, and have their own per-caller limit.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool
from starlette.types import ASGIApp, Receive, Scope, Send

#: When the pool's size cannot be read (not a QueuePool): SQLAlchemy's default 5 + 10.
DEFAULT_LIMIT = 15
#: Threads of FastAPI's (anyio's) default pool; more admitted requests could not run anyway.
THREADS = 40


def pool_capacity(sessions: sessionmaker[Session]) -> int:
    """Connections the sessions' engine may open at once, at most ``THREADS``."""
    pool = getattr(getattr(sessions, "kw", {}).get("bind"), "pool", None)
    capacity = pool.size() + max(0, pool._max_overflow) if isinstance(pool, QueuePool) else DEFAULT_LIMIT
    return max(1, min(capacity, THREADS))


class AdmissionMiddleware:
    def __init__(self, app: ASGIApp, limit: int, exempt_suffixes: tuple[str, ...] = ("/alerts/stream",)) -> None:
        self.app, self.limit, self.exempt_suffixes = app, limit, exempt_suffixes
        self._slots: asyncio.Semaphore | None = None  # made in the server's event loop, on first use

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].endswith(self.exempt_suffixes):
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)
