"""``kilowatch simulate``."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from kilowatch.context import SHANGHAI, console, local_midnight, settings_from


def simulate(
    ctx: typer.Context,
    sites: Annotated[int, typer.Option(help="Number of simulated sites.", min=1)] = 10,
    days: Annotated[float, typer.Option(help="Simulated days to publish.", min=0.01)] = 1.0,
    start: Annotated[Optional[str], typer.Option(help="First simulated day, YYYY-MM-DD (Asia/Shanghai) [default: today].")] = None,
    speed: Annotated[Optional[float], typer.Option(help="Simulated seconds per wall second; omit to backfill as fast as the broker takes it.")] = None,
    step: Annotated[int, typer.Option(help="Seconds between readings of a meter.", min=60)] = 900,
    per_meter: Annotated[bool, typer.Option("--per-meter", help="One message per meter instead of gateway batches.")] = False,
    seed: Annotated[int, typer.Option(help="Seed: the same seed publishes the same readings and waste.")] = 0,
    no_waste: Annotated[bool, typer.Option("--no-waste", help="Inject no waste.")] = False,
    ground_truth: Annotated[Optional[Path], typer.Option(help="Write the injected waste (ground truth) to this path (.csv and .json).")] = None,
    host: Annotated[Optional[str], typer.Option(help="MQTT broker host.")] = None,
    mqtt_port: Annotated[Optional[int], typer.Option("--mqtt-port", help="MQTT broker port.")] = None,
) -> None:
    """Publish simulated property sites to an MQTT broker, with labelled waste."""
    from simulators import build_portfolio, run_simulation

    settings = settings_from(ctx, mqtt={"host": host, "port": mqtt_port})
    first_day = date.fromisoformat(start) if start else datetime.now(SHANGHAI).date()
    portfolio = build_portfolio(sites, seed)
    # The simulator is its own MQTT client; it must never take over the ingest's client id.
    mqtt = settings.mqtt.model_copy(update={"client_id": f"kilowatch-simulator-{seed}"})
    result = run_simulation(
        mqtt,
        portfolio,
        local_midnight(first_day),
        days,
        step_s=step,
        waste=[] if no_waste else None,
        seed=seed,
        speed=speed,
        batch=not per_meter,
        ground_truth_path=ground_truth,
        progress=True,
    )
    console.print(
        f"Published {result.readings_published:,} readings in {result.messages_published:,} messages; "
        f"{len(result.events)} waste events injected."
    )


def register(app: typer.Typer) -> None:
    app.command()(simulate)
