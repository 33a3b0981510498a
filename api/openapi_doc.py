"""The OpenAPI document, with every problem a route can answer declared from what the route uses.

Routes declare the errors of their own logic (409, 429, a 404 for a query-named site).
The errors that come from what a route *uses* are derived here, so a new route cannot
forget them:

=====  ==========================================================================
400    every route: a NUL character anywhere (``api.nul_guard``), or a body that
       cannot be read as text
401    it needs a caller (``get_current_key``)
403    it needs an admin, or it changes data (a cookie without ``X-CSRF-Token``)
404    it has path parameters (unknown or out-of-scope ids)
413    it takes a body (``api.body_limit``)
422    it has parameters or a body (validation)
503    it uses the database or the store (either unavailable)
=====  ==========================================================================

Every 4xx/5xx is documented as ``application/problem+json`` with the ProblemPublic schema,
which is what ``api.problems`` sends (FastAPI's own 422 entry says application/json).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before iter_route_contexts flattens included routers into app.routes

    class _Mounted:
        """An APIRoute as its own mounting context (the shape iter_route_contexts yields)."""

        def __init__(self, route: APIRoute) -> None:
            self.original_route = route

        def __getattr__(self, name: str) -> Any:
            return getattr(self.original_route, name)

    # Typed apart from FastAPI's: it yields look-alikes of its RouteContext.
    def iter_route_contexts(routes):  # type: ignore[misc]
        return (_Mounted(route) for route in routes if isinstance(route, APIRoute))


from api.deps import get_admin_key, get_current_key, get_session, get_store
from api.problems import MEDIA_TYPE
from api.schemas.common import ProblemPublic

__all__ = ["install_openapi", "problem_statuses"]

_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemPublic"}
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _has_params(dependant: Dependant) -> bool:
    if dependant.path_params or dependant.query_params or dependant.header_params or dependant.cookie_params:
        return True
    return any(_has_params(sub) for sub in dependant.dependencies)


def problem_statuses(route: Any, method: str) -> set[int]:
    """The error statuses ``route`` (an APIRoute as mounted) can answer to ``method`` because of what it uses."""
    calls = set(_calls(route.dependant))
    statuses = {400}
    if get_current_key in calls:
        statuses.add(401)
        if method in _UNSAFE:
            statuses.add(403)
    if get_admin_key in calls:
        statuses.add(403)
    if route.dependant.path_params:
        statuses.add(404)
    if route.body_field is not None:
        statuses |= {413, 422}
    if _has_params(route.dependant):
        statuses.add(422)
    if calls & {get_session, get_store}:
        statuses.add(503)
    return statuses


def _problem_entry(status: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    entry = dict(existing or {})
    if not existing or existing.get("description") in (None, "Validation Error", "Additional Response"):
        entry["description"] = HTTPStatus(status).phrase
    entry["content"] = {MEDIA_TYPE: {"schema": _PROBLEM_REF}}
    return entry


def _declare_problems(app: FastAPI, doc: dict[str, Any]) -> None:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ProblemPublic", ProblemPublic.model_json_schema(ref_template="#/components/schemas/{model}"))
    # Nothing answers with FastAPI's validation error shape; the problem document replaces it.
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    # Included routers stay nested in app.routes; the contexts are the routes as mounted.
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method in (route.methods or set()) - {"HEAD"}:
            operation = doc["paths"][route.path_format][method.lower()]
            responses = operation["responses"]
            wanted = problem_statuses(route, method) | {int(code) for code in responses if code[0] in "45"}
            for status in sorted(wanted):
                responses[str(status)] = _problem_entry(status, responses.get(str(status)))
            operation["responses"] = dict(sorted(responses.items()))


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` FastAPI's document with the problems declared (built once, then cached)."""
    declared: list[int] = []

    def openapi() -> dict[str, Any]:
        doc = FastAPI.openapi(app)
        if id(doc) not in declared:  # FastAPI builds it again only when routes change
            _declare_problems(app, doc)
            declared[:] = [id(doc)]
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
