"""``kilowatch demo``."""

from __future__ import annotations

from typing import Annotated

import typer

from kilowatch.context import settings_from


def demo(
    ctx: typer.Context,
    sites: Annotated[int, typer.Option(help="Number of simulated sites.", min=3, max=500)] = 10,
    history_days: Annotated[int, typer.Option(help="Days of history backfilled before going live.", min=3, max=60)] = 7,
    speed: Annotated[float, typer.Option(help="Simulated seconds per wall-clock second (1440 = a day a minute).")] = 1440.0,
    port: Annotated[int, typer.Option(help="Preferred API port (a free one is picked if taken).")] = 8000,
    seed: Annotated[int, typer.Option(help="Seed of the simulated portfolio and its waste.")] = 7,
    minutes: Annotated[float | None, typer.Option(help="Stop after this many minutes (default: run until Ctrl-C).")] = None,
) -> None:
    """Run the whole pipeline in one process: embedded broker, simulator, ingest, store, detector, API.

    Needs no server: the MQTT broker, the time-series store and the database are embedded,
    with their files under DATA_DIR/demo (started afresh each run).
    """
    from kilowatch.demo import DemoOptions, run_demo

    settings = settings_from(ctx)
    run_demo(
        settings, DemoOptions(sites=sites, history_days=history_days, speed=speed, api_port=port, seed=seed, minutes=minutes)
    )


def register(app: typer.Typer) -> None:
    app.command()(demo)
