"""``kilowatch deadletters``: the messages ingest rejected, newest first, with filters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from kilowatch.context import settings_from


def _epoch(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 date or time", param_hint=option) from None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def deadletters(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option(help="Only this reason category, e.g. malformed_json.")] = None,
    site: Annotated[str | None, typer.Option(help="Only topics of this site.")] = None,
    since: Annotated[str | None, typer.Option(help="Received at or after (ISO 8601; naive is UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Received before (ISO 8601; naive is UTC).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many to show.")] = 50,
) -> None:
    """List rejected messages (kind, topic, site, when, the payload's first bytes), newest first."""
    from core.db.dead_letters import DeadLetterQuery, read_dead_letters
    from kilowatch.wiring import open_database

    settings = settings_from(ctx)
    query = DeadLetterQuery(settings.mqtt.topic_prefix, kind, site, _epoch(since, "--since"), _epoch(until, "--until"), limit)
    with open_database(settings)() as session:
        rows, total = read_dead_letters(session, query)
    # One tab-separated line per message (grep- and cut-friendly); payloads come escaped.
    typer.echo("\t".join(("id", "received_utc", "kind", "site", "topic", "reason", "payload_head")))
    for r in rows:
        when = datetime.fromtimestamp(r.received_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        fields = (str(r.id), when, r.kind, r.site_id or "-", r.topic, r.reason, r.payload_head)
        typer.echo("\t".join(f.replace("\t", " ").replace("\n", " ") for f in fields))
    typer.echo(f"{len(rows)} of {total} rejected messages", err=True)


def register(app: typer.Typer) -> None:
    app.command()(deadletters)
