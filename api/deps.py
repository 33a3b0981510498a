"""Request dependencies: settings, store, database session, the caller, and scope checks.

Everything comes from ``app.state``, filled by ``create_app``; nothing is built here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from core.db.tables import AlertRecord, SiteRecord
from core.settings import Settings
from core.store.base import SeriesStore
from api.problems import forbidden, not_found, unauthorized
from api.security import Principal, authenticate, principal_of

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


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> SeriesStore:
    return request.app.state.store


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; routes commit what they change."""
    with request.app.state.sessions() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[SeriesStore, Depends(get_store)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_current_key(
    request: Request,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_header)],
) -> Principal:
    """The caller's key, from either header; 401 when absent, unknown or revoked."""
    key = bearer.credentials if bearer is not None else header_key
    record = authenticate(session, key.strip()) if key else None
    if record is None:
        raise unauthorized()
    principal = principal_of(record)
    # Read by the access log, which names the key but never shows it.
    request.state.principal = principal
    return principal


CurrentKey = Annotated[Principal, Depends(get_current_key)]


def get_admin_key(principal: CurrentKey) -> Principal:
    if not principal.is_admin:
        raise forbidden("read service metrics")
    return principal


AdminKey = Annotated[Principal, Depends(get_admin_key)]


def visible_site(session: Session, principal: Principal, site_id: str) -> SiteRecord:
    """The site if it exists and the key may see it; the same 404 otherwise."""
    record = session.get(SiteRecord, site_id) if principal.sees(site_id) else None
    if record is None:
        raise not_found("site", site_id)
    return record


def visible_alert(session: Session, principal: Principal, alert_id: int) -> AlertRecord:
    """The alert if it exists and its site is in the key's scope; the same 404 otherwise."""
    record = session.get(AlertRecord, alert_id)
    if record is None or not principal.sees(record.site_id):
        raise not_found("alert", alert_id)
    return record
