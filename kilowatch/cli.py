"""The ``kilowatch`` command line."""

from __future__ import annotations

import logging
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path
from typing import Annotated, Optional
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from rich.console import Console

from core.settings import Settings, load_settings
from kilowatch.logs import setup_logging

console = Console(stderr=True)
log = logging.getLogger("kilowatch")

app = typer.Typer(
    name="kilowatch",
    help="Find energy wasted in the public spaces of property portfolios and turn it into carbon numbers.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

ConfigOpt = Annotated[
    Optional[Path],
    typer.Option("--config", "-c", help="TOML config file (else $KILOWATCH_CONFIG).", exists=True, dir_okay=False),
]
DataDirOpt = Annotated[Optional[Path], typer.Option("--data-dir", help="Where embedded data lives [default: ./data].")]
LogLevelOpt = Annotated[Optional[str], typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")]

SHANGHAI = ZoneInfo("Asia/Shanghai")


@app.callback()
def _main(ctx: typer.Context, config: ConfigOpt = None, data_dir: DataDirOpt = None, log_level: LogLevelOpt = None) -> None:
    """Global options apply to every command; flags win over environment and config file."""
    overrides: dict = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if log_level is not None:
        overrides["log_level"] = log_level
    ctx.obj = {"config": config, "overrides": overrides}


def _settings(ctx: typer.Context, **overrides: object) -> Settings:
    """Build the one settings object, from config file, environment and flags."""
    merged = {**ctx.obj["overrides"]}
    for key, value in overrides.items():
        if isinstance(value, dict):
            merged.setdefault(key, {}).update({k: v for k, v in value.items() if v is not None})
        elif value is not None:
            merged[key] = value
    try:
        settings = load_settings(ctx.obj["config"], **merged)
    except ValidationError as exc:
        console.print(f"[red]Invalid settings:[/red]\n{exc}")
        raise typer.Exit(2) from None
    setup_logging(settings.log_level)
    return settings


def _local_midnight(day: date) -> int:
    return int(datetime.combine(day, dtime(0, 0), tzinfo=SHANGHAI).timestamp())


@app.command()
def demo(
    ctx: typer.Context,
    sites: Annotated[int, typer.Option(help="Number of simulated sites.", min=3, max=500)] = 10,
    history_days: Annotated[int, typer.Option(help="Days of history backfilled before going live.", min=3, max=60)] = 7,
    speed: Annotated[float, typer.Option(help="Simulated seconds per wall-clock second (1440 = a day a minute).")] = 1440.0,
    port: Annotated[int, typer.Option(help="Preferred API port (a free one is picked if taken).")] = 8000,
    seed: Annotated[int, typer.Option(help="Seed of the simulated portfolio and its waste.")] = 7,
    minutes: Annotated[Optional[float], typer.Option(help="Stop after this many minutes [default: run until Ctrl-C].")] = None,
) -> None:
    """Run the whole pipeline in one process: embedded broker, simulator, ingest, store, detector, API.

    Needs no server: the MQTT broker, the time-series store and the database are embedded,
    with their files under DATA_DIR/demo (started afresh each run).
    """
    from kilowatch.demo import DemoOptions, run_demo

    settings = _settings(ctx)
    run_demo(settings, DemoOptions(sites=sites, history_days=history_days, speed=speed, api_port=port, seed=seed, minutes=minutes))


@app.command()
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
    ground_truth: Annotated[Optional[Path], typer.Option(help="Write the injected waste (ground truth) to this CSV.")] = None,
    host: Annotated[Optional[str], typer.Option(help="MQTT broker host.")] = None,
    mqtt_port: Annotated[Optional[int], typer.Option("--mqtt-port", help="MQTT broker port.")] = None,
) -> None:
    """Publish simulated property sites to an MQTT broker, with labelled waste."""
    from simulators import build_portfolio, run_simulation

    settings = _settings(ctx, mqtt={"host": host, "port": mqtt_port})
    first_day = date.fromisoformat(start) if start else datetime.now(SHANGHAI).date()
    portfolio = build_portfolio(sites, seed)
    # The simulator is its own MQTT client; it must never take over the ingest's client id.
    mqtt = settings.mqtt.model_copy(update={"client_id": f"kilowatch-simulator-{seed}"})
    result = run_simulation(
        mqtt,
        portfolio,
        _local_midnight(first_day),
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


@app.command()
def ingest(
    ctx: typer.Context,
    metrics_port: Annotated[int, typer.Option(help="Port of the Prometheus metrics endpoint (0 = off).")] = 9108,
    host: Annotated[Optional[str], typer.Option(help="MQTT broker host.")] = None,
    mqtt_port: Annotated[Optional[int], typer.Option("--mqtt-port", help="MQTT broker port.")] = None,
) -> None:
    """Consume meter readings from MQTT into the time-series store until SIGTERM or Ctrl-C."""
    from ingest import IngestWorker
    from kilowatch.runtime import stop_on_signals
    from kilowatch.wiring import open_database, open_series

    settings = _settings(ctx, mqtt={"host": host, "port": mqtt_port})
    stop = stop_on_signals()
    worker = IngestWorker(settings.mqtt, settings.ingest, open_series(settings), open_database(settings))
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, registry=worker.metrics_registry)
    worker.start()
    log.info("ingesting from %s:%d (%s)", settings.mqtt.host, settings.mqtt.port, settings.mqtt.topic_prefix)
    stop.wait()
    log.info("stopping: flushing what was received")
    worker.stop()


@app.command()
def detect(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run one pass and exit.")] = False,
    interval: Annotated[Optional[float], typer.Option(help="Seconds between passes.")] = None,
    site: Annotated[Optional[list[str]], typer.Option(help="Only these sites (repeatable); splits a portfolio across workers.")] = None,
) -> None:
    """Run waste detection passes over recent data and keep alerts up to date."""
    from kilowatch.runtime import stop_on_signals
    from kilowatch.wiring import open_database, open_series
    from models.detection import DetectionPass

    settings = _settings(ctx, detect={"interval_s": interval})
    detector = DetectionPass(open_series(settings), open_database(settings), settings.detect, settings.carbon)
    stop = stop_on_signals()
    while True:
        report = detector.run(site_ids=site)
        log.info("detection pass: %s", report)
        # A heartbeat for container health checks: its age tells whether passes still finish.
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        (settings.data_dir / "detect.heartbeat").touch()
        if once or stop.wait(settings.detect.interval_s):
            break


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[Optional[str], typer.Option(help="Address to bind.")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port to bind.")] = None,
) -> None:
    """Serve the API (/api/v1) and the facility managers' dashboard (/)."""
    import uvicorn

    from api.app import create_app
    from kilowatch.wiring import open_database, open_series

    settings = _settings(ctx, api={"host": host, "port": port})
    # The configured admin key (KILOWATCH_API__ADMIN_KEY) is registered by the app at start-up.
    app_ = create_app(settings, open_series(settings), open_database(settings))
    console.print(f"Dashboard: http://{settings.api.host}:{settings.api.port}/")
    uvicorn.run(app_, host=settings.api.host, port=settings.api.port, log_level="warning")


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Create or upgrade the relational schema (sites, meters, alerts, API keys)."""
    from kilowatch.wiring import describe_database, open_database

    settings = _settings(ctx)
    open_database(settings)
    console.print(f"Schema is up to date: {describe_database(settings)}")


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    role: Annotated[str, typer.Option(help="admin, manager or viewer.")] = "viewer",
    site: Annotated[Optional[list[str]], typer.Option(help="Site the key may see (repeatable); admins see all.")] = None,
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from kilowatch.keys import create_key

    settings = _settings(ctx)
    key = create_key(settings, name, role, site)
    console.print("Store this key now; it cannot be shown again:")
    typer.echo(key)


@keys_app.command("list")
def keys_list(ctx: typer.Context) -> None:
    """List API keys (names, roles, prefixes; never the keys)."""
    from kilowatch.keys import print_keys

    print_keys(_settings(ctx), console)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
