"""``kilowatch ingest``."""

from __future__ import annotations

import logging
from typing import Annotated, Optional

import typer

from kilowatch.context import settings_from

log = logging.getLogger(__name__)


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

    settings = settings_from(ctx, mqtt={"host": host, "port": mqtt_port})
    stop = stop_on_signals()
    worker = IngestWorker(
        settings.mqtt,
        settings.ingest,
        open_series(settings),
        open_database(settings),
        spool_path=settings.spool_path,
        dead_letter_path=settings.dead_letter_path,
        spool_max_bytes=settings.ingest.spool_max_mb * 1024 * 1024,
        retry_budget_s=settings.ingest.retry_budget_s,
        stale_after_intervals=settings.ingest.stale_after_intervals,
        stale_check_s=settings.ingest.stale_check_s,
    )
    if metrics_port:
        from ingest.metrics import serve_metrics

        serve_metrics(metrics_port, worker.metrics_registry)
    worker.start()
    log.info("ingesting from %s:%d (%s)", settings.mqtt.host, settings.mqtt.port, settings.mqtt.topic_prefix)
    # Until SIGTERM/Ctrl-C, or until the writer fails: then exit 1 so the ingest is restarted.
    if worker.run_until(stop):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(ingest)
