"""API key administration for the command line (creation, listing, the configured admin key)."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.security import ROLES, create_api_key, hash_api_key, register_api_key
from core.db.tables import ApiKeyRecord
from core.settings import Settings
from kilowatch.wiring import open_database

log = logging.getLogger(__name__)


def create_key(settings: Settings, name: str, role: str, site_ids: list[str] | None) -> str:
    if role not in ROLES:
        raise SystemExit(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    sessions = open_database(settings)
    with sessions.begin() as session:
        return create_api_key(session, name, role, None if role == "admin" else (site_ids or []))


def ensure_admin_key(settings: Settings, sessions: sessionmaker[Session]) -> None:
    """Register ``KILOWATCH_API__ADMIN_KEY`` as an admin key unless it is already known."""
    if settings.api.admin_key is None:
        return
    key = settings.api.admin_key.get_secret_value()
    with sessions.begin() as session:
        known = session.scalar(select(ApiKeyRecord).where(ApiKeyRecord.key_hash == hash_api_key(key)))
        if known is None:
            register_api_key(session, "configured admin", "admin", key)
            log.info("registered the configured admin key")


def print_keys(settings: Settings, console: Console) -> None:
    sessions = open_database(settings)
    table = Table("id", "name", "role", "prefix", "sites", "revoked")
    with sessions() as session:
        for rec in session.scalars(select(ApiKeyRecord).order_by(ApiKeyRecord.id)):
            sites = "all" if rec.site_ids is None else ", ".join(rec.site_ids) or "-"
            table.add_row(str(rec.id), rec.name, rec.role, rec.prefix + "…", sites, "yes" if rec.revoked else "")
    console.print(table)
