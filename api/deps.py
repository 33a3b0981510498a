"""Request dependencies: settings, store, database session, the caller, and scope checks.

Everything comes from ``app.state``, filled by ``create_app``; nothing is built here.
The caller is an API key (``Authorization: Bearer`` or ``X-API-Key``) or, for the
dashboard, a session cookie; state-changing requests made with the cookie must echo
the session's CSRF token in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi._compat import field_annotation_is_sequence
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.options import ApiOptions
from api.problems import Problem, forbidden, not_found, unauthorized
from api.security import Principal, authenticate, principal_of
from api.websessions import COOKIE_NAME, CSRF_HEADER, principal_of_user, session_of_token
from core.db.tables import AlertRecord, SiteRecord
from core.settings import Settings
from core.store.base import SeriesStore

# auto_error=False: a missing key must become our 401 problem, not FastAPI's plain 403.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="BearerKey",
    description="An API key sent as `Authorization: Bearer kw_...`.",
)
_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="HeaderKey",
    description="The same API key sent as `X-API-Key: kw_...`.",
)
_cookie = APIKeyCookie(
    name=COOKIE_NAME,
    auto_error=False,
    scheme_name="SessionCookie",
    description="Dashboard session from `POST /api/v1/auth/session`; unsafe methods also need `X-CSRF-Token`.",
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_store(request: Request) -> SeriesStore:
    return request.app.state.store


async def get_options(request: Request) -> ApiOptions:
    return request.app.state.options


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; routes commit what they change.

    Async, like the other dependencies that do no I/O of their own: FastAPI runs a sync one
    in its thread pool, a hop per call (two for a generator) on every request. Opening a
    session connects nothing; closing it returns the connection to the pool (a rollback,
    on the event loop: microseconds on SQLite, one local round trip on PostgreSQL).
    """
    with request.app.state.sessions() as session:
        yield session


def _query_fields(dependant: Dependant) -> Iterator[Any]:
    yield from dependant.query_params
    for sub in dependant.dependencies:
        yield from _query_fields(sub)


async def single_valued_query(request: Request) -> None:
    """422 when a query parameter the route takes once is sent more than once.

    FastAPI would use the last value: ``?site_id=a&site_id=b`` answered for b alone, a
    wrong number nobody sees. Repeatable parameters (lists) and undeclared ones are left alone.
    """
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or len(request.query_params.multi_items()) == len(request.query_params):
        return
    for field in _query_fields(dependant):
        # The same test FastAPI uses to decide between one value and a list.
        if len(request.query_params.getlist(field.alias)) > 1 and not field_annotation_is_sequence(field.field_info.annotation):
            raise Problem(
                422,
                f"Query parameter {field.alias!r} takes one value; it was sent more than once.",
                kind="validation",
                errors=[{"loc": ["query", field.alias], "msg": "takes one value", "type": "repeated_parameter"}],
            )


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[SeriesStore, Depends(get_store)]
SessionDep = Annotated[Session, Depends(get_session)]
OptionsDep = Annotated[ApiOptions, Depends(get_options)]


def _from_cookie(request: Request, session: Session, token: str) -> Principal:
    found = session_of_token(session, token)
    if found is None:
        raise unauthorized()
    row, user = found
    if request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), row.csrf_token.encode()):
            raise Problem(
                403,
                f"Requests that change data with the session cookie must send the {CSRF_HEADER} header.",
                kind="csrf",
            )
    return principal_of_user(user)


def _principal_of_key(session: Session, key: str) -> Principal | None:
    record = authenticate(session, key)
    return principal_of(record) if record is not None else None


async def get_current_key(
    request: Request,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_header)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    """The caller: an API key from either header, else the session cookie; 401 otherwise.

    A key checked within ``key_cache_s`` is answered on the event loop; the database is
    asked in the thread pool (async, so a recently checked key costs no thread hop).
    """
    key = bearer.credentials if bearer is not None else header_key
    if key:
        keys = request.app.state.key_cache
        found = keys.kept(key.strip()) or await run_in_threadpool(
            keys.principal, key.strip(), lambda k: _principal_of_key(session, k)
        )
        if found is None:
            raise unauthorized()
        principal = found
    elif cookie:
        principal = await run_in_threadpool(_from_cookie, request, session, cookie)
    else:
        raise unauthorized()
    # Read by the access log, which names the caller but never shows a secret.
    request.state.principal = principal
    return principal


def caller_again(request: Request) -> Callable[[Session], Principal | None]:
    """Looks the request's caller up again, for a response that lasts (the alert stream).

    None once the key is revoked, the session signed out or expired, or the user disabled;
    the principal carries the caller's current sites.
    """
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    key = credentials.strip() if scheme.lower() == "bearer" else request.headers.get("X-API-Key", "").strip()
    cookie = request.cookies.get(COOKIE_NAME, "")

    def again(session: Session) -> Principal | None:
        if key:
            record = authenticate(session, key)
            return principal_of(record) if record is not None else None
        found = session_of_token(session, cookie) if cookie else None
        return principal_of_user(found[1]) if found is not None else None

    return again


CurrentKey = Annotated[Principal, Depends(get_current_key)]
#: The same dependency under the name routes written after sessions existed use.
CurrentCaller = CurrentKey


async def get_admin_key(principal: CurrentKey) -> Principal:
    if not principal.is_admin:
        raise forbidden("use administration routes")
    return principal


AdminKey = Annotated[Principal, Depends(get_admin_key)]


def visible_site(session: Session, principal: Principal, site_id: str) -> SiteRecord:
    """The site if it exists and the caller may see it; the same 404 otherwise."""
    record = session.get(SiteRecord, site_id) if principal.sees(site_id) else None
    if record is None:
        raise not_found("site", site_id)
    return record


def admin_site(session: Session, principal: Principal, site_id: str, action: str) -> SiteRecord:
    """The site for an administrator's change: 404 out of scope (whatever the role), then 403 unless admin."""
    record = visible_site(session, principal, site_id)
    if not principal.is_admin:
        raise forbidden(action)
    return record


def visible_alert(session: Session, principal: Principal, alert_id: int) -> AlertRecord:
    """The alert if it exists and its site is in the caller's scope; the same 404 otherwise."""
    record = session.get(AlertRecord, alert_id)
    if record is None or not principal.sees(record.site_id):
        raise not_found("alert", alert_id)
    return record
