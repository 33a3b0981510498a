"""API key administration for the command line: create, list and revoke keys."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from api.security import Role, create_api_key
from core.db.tables import ApiKeyRecord
from core.settings import Settings
from kilowatch.wiring import open_database


def create_key(settings: Settings, name: str, role: str, site_ids: list[str] | None) -> str:
    roles = [r.value for r in Role]
    if role not in roles:
        raise SystemExit(f"unknown role {role!r}: choose one of {', '.join(roles)}")
    sessions = open_database(settings)
    with sessions.begin() as session:
        return create_api_key(session, name, role, None if role == "admin" else (site_ids or []))


def print_keys(settings: Settings, console: Console) -> None:
    sessions = open_database(settings)
    table = Table("id", "name", "role", "prefix", "sites", "revoked")
    with sessions() as session:
        for rec in session.scalars(select(ApiKeyRecord).order_by(ApiKeyRecord.id)):
            sites = "all" if rec.site_ids is None else ", ".join(rec.site_ids) or "-"
            table.add_row(str(rec.id), rec.name, rec.role, rec.prefix + "…", sites, "yes" if rec.revoked else "")
    console.print(table)


def revoke_key(settings: Settings, key_id: int) -> ApiKeyRecord:
    """Mark the key revoked: it stops working within the API's ``key_cache_s`` (5 s), and stays listed (who had it, since when)."""
    sessions = open_database(settings)
    with sessions.begin() as session:
        record = session.get(ApiKeyRecord, key_id)
        if record is None:
            raise SystemExit(f"no API key with id {key_id}; `kilowatch keys list` shows the ids")
        record.revoked = True
        session.flush()
        session.expunge(record)
        return record
