"""``kilowatch weather import FILE --site S``: a site's measured outdoor temperature from CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kilowatch.context import settings_from

weather_app = typer.Typer(
    help="A site's measured outdoor temperature (detection uses it instead of its proxy).", no_args_is_help=True
)


@weather_app.command("import")
def import_weather(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with a 'ts,temp_c' header; ts ISO 8601 with a zone or epoch seconds.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    site: Annotated[str, typer.Option(help="The registered site the temperatures belong to.")],
) -> None:
    """Store the file's hourly temperatures (samples within an hour averaged, a stored hour replaced);
    any bad line refuses the whole file, each problem shown with its line."""
    from core.db.tables import SiteRecord
    from core.db.weather import write_temperatures
    from core.weather_csv import parse_weather_csv
    from kilowatch.wiring import open_database

    settings = settings_from(ctx)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise typer.BadParameter(f"{file} is not UTF-8 text: {exc}", param_hint="FILE") from None
    with open_database(settings).begin() as session:
        if session.get(SiteRecord, site) is None:
            raise typer.BadParameter(f"no registered site {site!r}", param_hint="--site")
        parsed = parse_weather_csv(text, site)
        if parsed.problems:
            for problem in parsed.problems:
                typer.echo(f"{file}:{problem.line}: {problem.message}", err=True)
            typer.echo(f"{file}: refused, nothing stored", err=True)
            raise typer.Exit(code=1)
        hours = write_temperatures(session, parsed.points, "csv")
    typer.echo(f"{len(parsed.points)} samples, {hours} hours stored for site {site}")


def register(app: typer.Typer) -> None:
    app.add_typer(weather_app, name="weather")
