"""Answers kept until their data changes: the alert list and carbon ledgers under many clients.

An answer is kept with the versions of the data it was computed from (``core.db.versions``:
read *before* computing, so the kept answer is never older than its versions say) and
served again only while the versions read now are the same, checked on every request: a
new alert or registry change shows in the next response, a new reading once its versions
are bumped (``core.db.versioned_store``: within 0.2 s of its write). The versions live in the
database, so a change made by any process (ingest, the detector, another API worker) ends
the answers of every worker.

An answer is kept under (the caller's role, the caller's visible sites, path, query,
``Accept``): it is only served to a caller with exactly the rights of the one it was
computed for, after the route's own checks passed for that caller. A kept answer reaches
the app's routes only through ``ResponseCacheMiddleware``, which serves it before routing
when the request's API key was checked within ``key_cache_s`` (``api.key_cache``): the same
revocation bound as every other request. Other requests (sign-in cookies, a first request
of a key) go through the route, which serves a kept answer after its checks.

Each worker keeps its own answers (``max_entries``, oldest used first out), and none longer
than ``max_age_s``: a bound on staleness should a version bump ever be lost or late (the
database away while ingest wrote: ``core.db.versioned_store`` retries it until the database
takes it).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

from fastapi import Request, Response
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from api.key_cache import KeyCache
from api.security import Principal
from core.db.versions import Needs, current

#: Answers kept per worker; a portfolio month of 5,000 sites is about 5 MB, an alert page 40 kB.
MAX_ENTRIES = 512
#: Largest answer kept: bigger ones are recomputed (a CSV of years of days, a huge page).
MAX_BODY_BYTES = 16 * 1024 * 1024


class Kept(NamedTuple):
    needs: Needs
    versions: tuple
    #: Wall-clock second after which the answer is not served (its age bound, or a snooze ending).
    expires: float
    body: bytes
    media_type: str
    #: The route that made it, for the access log and metrics of a hit.
    route: Any


def cache_key(scope: Scope, principal: Principal) -> tuple:
    """Who may receive an answer and what was asked: equal keys get equal answers."""
    accept = b""
    for name, value in scope["headers"]:
        if name == b"accept":
            accept = value
            break
    return (principal.role, principal.site_ids, scope["path"], scope["query_string"], accept)


class ResponseCache:
    """Kept answers of one worker, and a connection of its own to read the versions on."""

    def __init__(self, engine: Engine | None, max_entries: int = MAX_ENTRIES, max_age_s: float = 600.0, clock=time.time) -> None:
        self.max_entries, self.max_age_s, self._clock = max_entries, max_age_s, clock
        self._engine = engine
        self._kept: OrderedDict[tuple, Kept] = OrderedDict()
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self.hits = self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    def _versions_now(self, needs: Needs) -> tuple:
        # Autocommit: every read sees the latest committed versions (a transaction held open
        # would keep SQLite's snapshot, and PostgreSQL's connection idle in transaction).
        if self._connection is None:
            assert self._engine is not None
            self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            return current(self._connection, needs)
        except Exception:
            self._connection.invalidate()
            self._connection = None
            raise

    def _get(self, key: tuple) -> Kept | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        return kept

    def fresh(self, key: tuple) -> Kept | None:
        """The kept answer under ``key`` if its versions are still current (the middleware's check)."""
        kept = self._get(key)
        if kept is None or kept.expires <= self._clock():
            return None
        try:
            if self._versions_now(kept.needs) != kept.versions:
                return None
        except Exception:
            return None  # the route answers, and says what is wrong
        return kept

    def answer(
        self,
        request: Request,
        principal: Principal,
        session: Session,
        needs: Needs,
        compute: Callable[[], Response],
        expires: Callable[[], float | None] | None = None,
    ) -> Response:
        """The kept answer for this request if its versions are current, else ``compute()``, kept when it is a 200.

        ``expires()``, asked on a miss, is when the answer goes stale by the clock alone (None: never).
        """
        if not self.enabled:
            return compute()
        key = cache_key(request.scope, principal)
        versions = current(session, needs)  # before computing: the answer is at least this new
        kept = self._get(key)
        now = self._clock()
        if kept is not None and kept.needs == needs and kept.versions == versions and kept.expires > now:
            self.hits += 1
            return Response(kept.body, media_type=kept.media_type)
        self.misses += 1
        response = compute()
        if response.status_code == 200 and len(response.body) <= MAX_BODY_BYTES and response.media_type:
            ends = expires() if expires is not None else None
            until = now + self.max_age_s if ends is None else min(ends, now + self.max_age_s)
            entry = Kept(needs, versions, until, bytes(response.body), response.media_type, request.scope.get("route"))
            with self._lock:
                self._kept[key] = entry
                self._kept.move_to_end(key)
                while len(self._kept) > self.max_entries:
                    self._kept.popitem(last=False)
        return response

    def __len__(self) -> int:
        return len(self._kept)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _api_key(scope: Scope) -> str | None:
    """The key as ``api.deps.get_current_key`` takes it: a Bearer credential first, else ``X-API-Key``."""
    header_key = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip()
        elif name == b"x-api-key" and header_key is None:
            header_key = value.decode("latin-1").strip()
    return header_key


class ResponseCacheMiddleware:
    """Serves a kept answer before routing, for a GET whose API key was checked recently; passes everything else on."""

    def __init__(self, app: ASGIApp, cache: ResponseCache, keys: KeyCache, paths: Callable[[str], bool]) -> None:
        self.app, self.cache, self.keys, self.paths = app, cache, keys, paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not self.cache.enabled or not self.paths(scope["path"]):
            await self.app(scope, receive, send)
            return
        key = _api_key(scope)
        principal = self.keys.kept(key) if key else None
        kept = self.cache.fresh(cache_key(scope, principal)) if principal is not None else None
        if kept is None:
            await self.app(scope, receive, send)
            return
        self.cache.hits += 1
        scope.setdefault("state", {})["principal"] = principal
        scope["route"] = kept.route
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", kept.media_type.encode()), (b"content-length", str(len(kept.body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": kept.body})
