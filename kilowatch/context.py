"""What every command shares: building the one settings object from the command line."""

from __future__ import annotations

from datetime import date, datetime, time as dtime

import typer
from pydantic import ValidationError
from rich.console import Console

from core.settings import Settings, load_settings
from core.timebase import HOME_ZONE
from kilowatch.logs import setup_logging

console = Console(stderr=True)


def settings_from(ctx: typer.Context, **overrides: object) -> Settings:
    """Build the settings from config file, environment and flags (flags win; None = not given)."""
    root = ctx.find_root()
    merged = dict((root.obj or {}).get("overrides", {}))
    for key, value in overrides.items():
        if isinstance(value, dict):
            merged.setdefault(key, {}).update({k: v for k, v in value.items() if v is not None})
        elif value is not None:
            merged[key] = value
    try:
        settings = load_settings((root.obj or {}).get("config"), **merged)
    except ValidationError as exc:
        console.print(f"[red]Invalid settings:[/red]\n{exc}")
        raise typer.Exit(2) from None
    setup_logging(settings.log_level)
    return settings


def local_midnight(day: date) -> int:
    """Epoch seconds of 00:00 on ``day`` in the home time zone."""
    return int(datetime.combine(day, dtime(0, 0), tzinfo=HOME_ZONE).timestamp())
