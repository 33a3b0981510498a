"""One module per command (or command group); each exposes ``register(app)``."""

from __future__ import annotations

import typer

from kilowatch.commands import admin, deadletters, demo, detect, evaluate, history, ingest, score, serve, simulate, users, weather

_MODULES = (demo, simulate, ingest, detect, serve, admin, users, history, score, evaluate, deadletters, weather)


def register_commands(app: typer.Typer) -> None:
    for module in _MODULES:
        module.register(app)
