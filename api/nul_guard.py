"""Requests carrying a NUL character are refused with 400 before any route sees them.

PostgreSQL text cannot hold NUL (U+0000): psycopg refuses such a parameter, and a route
that filtered or stored it answered 500. No field of this API has a use for NUL, so one
guard for every route checks the path, each query name and value, and every string (and
key) of a JSON body, and answers a problem document naming where the NUL was.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response

__all__ = ["NulGuardMiddleware", "where_nul"]

_NUL = "\x00"
#: Only these methods carry a body our routes read; a GET's stream keeps its receive untouched.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def where_nul(scope: Scope, body: bytes) -> list[str | int] | None:
    """The location of the first NUL in the request (as a validation ``loc``), or None."""
    if _NUL in scope.get("path", ""):
        return ["path"]
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" in query or _NUL in query:
        for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
            if _NUL in name or _NUL in value:
                return ["query", name.replace(_NUL, "\\u0000")]
    if b"\x00" in body:
        return ["body"]
    # JSON can only spell NUL as this escape; a body without it needs no parse.
    if b"\\u0000" in body:
        try:
            document = json.loads(body)
        except ValueError:
            return None  # not JSON: the route's own parsing answers for it
        return _in_json(document, ["body"])
    return None


def _in_json(value: Any, loc: list[str | int]) -> list[str | int] | None:
    if isinstance(value, str):
        return loc if _NUL in value else None
    if isinstance(value, list):
        items: Any = enumerate(value)
    elif isinstance(value, dict):
        items = value.items()
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and _NUL in key:
            return [*loc, key.replace(_NUL, "\\u0000")]
        found = _in_json(item, [*loc, key])
        if found is not None:
            return found
    return None


class NulGuardMiddleware:
    """Reads a body whole (the body limit runs before it), checks it, then hands it on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        buffered: list[Message] = []
        if scope["method"] in _BODY_METHODS:
            try:
                while True:
                    message = await receive()
                    buffered.append(message)
                    if message["type"] != "http.request" or not message.get("more_body", False):
                        break
            except HTTPException as exc:  # the body limit's 413, raised from receive
                await problem_response(exc.status_code, str(exc.detail), headers=exc.headers)(scope, receive, send)
                return
        body = b"".join(m.get("body", b"") for m in buffered if m["type"] == "http.request")
        loc = where_nul(scope, body)
        if loc is not None:
            where = ".".join(str(part) for part in loc)
            await problem_response(
                400,
                f"The request holds a NUL character (U+0000) in {where}; no field accepts it.",
                kind="nul-character",
                errors=[{"loc": loc, "msg": "must not contain the NUL character", "type": "nul_character"}],
            )(scope, receive, send)
            return

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)
