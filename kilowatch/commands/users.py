"""``kilowatch users``: dashboard accounts (create, list, disable); passwords stored as argon2id hashes."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kilowatch.context import console, settings_from

users_app = typer.Typer(help="Create, list and disable dashboard users.", no_args_is_help=True)


@users_app.command("create")
def users_create(
    ctx: typer.Context,
    username: Annotated[str, typer.Option(help="Sign-in name.")],
    role: Annotated[str, typer.Option(help="admin, manager or viewer.")] = "viewer",
    site: Annotated[list[str] | None, typer.Option(help="Site the user may see (repeatable); admins see all.")] = None,
    display_name: Annotated[str, typer.Option(help="Name shown in the dashboard and alert history.")] = "",
    locale: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input (for scripts).")] = False,
) -> None:
    """Create a user; the password is prompted for (or read from stdin), never taken as a flag."""
    from sqlalchemy.exc import IntegrityError

    from api.websessions import create_user
    from kilowatch.wiring import open_database

    if locale not in ("zh", "en"):
        raise typer.BadParameter("choose zh or en", param_hint="--locale")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    sessions = open_database(settings_from(ctx))
    try:
        with sessions.begin() as session:
            user = create_user(session, username, password, role, site, display_name=display_name, locale=locale)
            scope = "all sites" if user.site_ids is None else ", ".join(user.site_ids) or "no sites"
    except (ValueError, IntegrityError) as exc:
        console.print(f"[red]Cannot create user:[/red] {exc if isinstance(exc, ValueError) else 'username is taken'}")
        raise typer.Exit(1) from None
    console.print(f"Created {role} {username!r} ({scope}).")


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """List users with their roles and sites (never password hashes)."""
    from rich.table import Table
    from sqlalchemy import select

    from core.db.tables import UserRecord
    from kilowatch.wiring import open_database

    sessions = open_database(settings_from(ctx))
    table = Table("id", "username", "name", "role", "sites", "locale", "disabled")
    with sessions() as session:
        for user in session.scalars(select(UserRecord).order_by(UserRecord.id)):
            sites = "all" if user.site_ids is None else ", ".join(user.site_ids) or "-"
            table.add_row(
                str(user.id), user.username, user.display_name, user.role, sites, user.locale, "yes" if user.disabled else ""
            )
    console.print(table)


@users_app.command("disable")
def users_disable(ctx: typer.Context, username: Annotated[str, typer.Argument(help="Who to disable.")]) -> None:
    """Disable a user and end their sessions at once."""
    from sqlalchemy import delete, select

    from core.db.tables import UserRecord, WebSessionRecord
    from kilowatch.wiring import open_database

    sessions = open_database(settings_from(ctx))
    with sessions.begin() as session:
        user = session.scalar(select(UserRecord).where(UserRecord.username == username))
        if user is None:
            console.print(f"[red]No user {username!r}.[/red]")
            raise typer.Exit(1)
        user.disabled = True
        session.execute(delete(WebSessionRecord).where(WebSessionRecord.user_id == user.id))
    console.print(f"Disabled {username!r}; their sessions have ended.")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
