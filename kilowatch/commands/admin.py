"""``kilowatch migrate`` and ``kilowatch keys``: administration of the relational state."""

from __future__ import annotations

from typing import Annotated

import typer

from kilowatch.context import console, settings_from

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


def migrate(ctx: typer.Context) -> None:
    """Create or upgrade the relational schema (sites, meters, alerts, API keys)."""
    from sqlalchemy import inspect

    from core.db.session import create_db_engine, current_revision, migrate as upgrade
    from kilowatch.wiring import describe_database

    settings = settings_from(ctx)
    engine = create_db_engine(settings.database_url)
    before, tables_before = current_revision(engine), set(inspect(engine).get_table_names())
    upgrade(engine)
    after, tables_after = current_revision(engine), set(inspect(engine).get_table_names())
    engine.dispose()
    console.print(migration_summary(before, after, len(tables_after - tables_before)))
    console.print(f"Database: {describe_database(settings)}", soft_wrap=True)


def migration_summary(before: str | None, after: str | None, tables_created: int) -> str:
    """What a migration did, in one line: created, upgraded, or nothing to do."""
    tables = f"{tables_created} table{'' if tables_created == 1 else 's'}"
    if before is None:
        return f"Created the schema: {tables}, revision {after}."
    if before != after:
        extra = f" ({tables} created)" if tables_created else ""
        return f"Upgraded the schema from revision {before} to {after}{extra}."
    return f"Schema already up to date at revision {after}; nothing changed."


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    role: Annotated[str, typer.Option(help="admin, manager or viewer.")] = "viewer",
    site: Annotated[list[str] | None, typer.Option(help="Site the key may see (repeatable); admins see all.")] = None,
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from kilowatch.keys import create_key

    key = create_key(settings_from(ctx), name, role, site)
    console.print("Store this key now; it cannot be shown again:")
    typer.echo(key)


@keys_app.command("list")
def keys_list(ctx: typer.Context) -> None:
    """List API keys (names, roles, prefixes; never the keys)."""
    from kilowatch.keys import print_keys

    print_keys(settings_from(ctx), console)


@keys_app.command("revoke")
def keys_revoke(
    ctx: typer.Context,
    key_id: Annotated[int, typer.Argument(metavar="ID", help="The key's id, as `kilowatch keys list` shows it.")],
) -> None:
    """Revoke an API key: requests with it are refused within 5 s (each API worker trusts a
    key it checked for ``key_cache_s``; open alert streams end at their next poll) (the configured admin key
    too: set a new one, restart, then revoke the old)."""
    from kilowatch.keys import revoke_key

    record = revoke_key(settings_from(ctx), key_id)
    console.print(f"Revoked key {record.id} ({record.name}, {record.role}, {record.prefix}…); refused within 5 s.")


def register(app: typer.Typer) -> None:
    app.command()(migrate)
    app.add_typer(keys_app, name="keys")
