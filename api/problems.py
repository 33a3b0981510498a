"""Errors as RFC 9457 problem details, and the handlers that render every error that way.

What the caller can do next decides the status::

    Problem
    ├── fix the request    400 bad input, 401 no/wrong key or session, 403 role too low
    │                      or missing CSRF token, 404 unknown or out of scope,
    │                      409 state conflict, 422 invalid
    └── retry later        503 store or database unavailable (with Retry-After)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.store.base import StoreUnavailable

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
#: Problem types are URNs: stable identifiers that need no server to dereference.
TYPE_PREFIX = "urn:kilowatch:problem:"
#: Seconds a client should wait before retrying a 503.
RETRY_AFTER_S = 5


class Problem(Exception):
    """An HTTP error the client should see as a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers or {}
        self.extensions = extensions


def not_found(what: str, ident: object) -> Problem:
    """The one 404 for both a missing and an out-of-scope resource, so scope does not leak."""
    return Problem(404, f"No {what} with id {ident!r}.", kind="not-found")


def unauthorized() -> Problem:
    return Problem(
        401,
        "Send a valid API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>', or sign in.",
        kind="unauthorized",
        headers={"WWW-Authenticate": 'Bearer realm="kilowatch"'},
    )


def forbidden(action: str) -> Problem:
    return Problem(403, f"Your role may not {action}.", kind="forbidden")


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem+json response; ``about:blank`` when the status says it all."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + kind if kind else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extensions,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, exc.detail, kind=exc.kind, title=exc.title, headers=exc.headers, **exc.extensions)


async def _on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # The offending input is left out: a header or body may carry a secret.
    errors = [{"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")} for err in exc.errors()]
    where = ", ".join(".".join(str(part) for part in e["loc"]) for e in errors)
    return problem_response(422, f"The request is not valid: {where}.", kind="validation", errors=errors)


async def _on_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    # The message may name hosts or files; it goes to the log, not to the client.
    log.warning("backend unavailable: %s", type(exc).__name__)
    return problem_response(
        503,
        "A backing service is unavailable; retry shortly.",
        kind="unavailable",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
    return problem_response(500, "Something went wrong on our side.", kind="internal")


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error of ``app`` through a problem+json renderer."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StoreUnavailable, _on_unavailable)
    app.add_exception_handler(OperationalError, _on_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)
