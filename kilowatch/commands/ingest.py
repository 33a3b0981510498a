"""``kilowatch ingest``."""

from __future__ import annotations

import errno
import logging
import socket
from functools import partial
from typing import Annotated

import typer

from kilowatch.context import console, settings_from

log = logging.getLogger(__name__)


def ingest(
    ctx: typer.Context,
    metrics_port: Annotated[int, typer.Option(help="Port of the Prometheus metrics endpoint and /healthz (0 = off).")] = 9108,
    metrics_host: Annotated[
        str | None,
        typer.Option(
            help="Address the metrics endpoint listens on (ingest.metrics_host, 127.0.0.1 by default; 0.0.0.0 for all)."
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help="MQTT broker host.")] = None,
    mqtt_port: Annotated[int | None, typer.Option("--mqtt-port", help="MQTT broker port.")] = None,
    writers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Writer processes, each writing a share of the sites (ingest.writers, 1 by default: one process)."
        ),
    ] = None,
) -> None:
    """Consume meter readings from MQTT into the time-series store until SIGTERM or Ctrl-C."""
    from ingest import IngestWorker
    from ingest.worker import WorkerOptions
    from kilowatch.runtime import stop_on_signals
    from kilowatch.wiring import open_database, open_series, open_writable_series

    settings = settings_from(
        ctx, mqtt={"host": host, "port": mqtt_port}, ingest={"metrics_host": metrics_host, "writers": writers}
    )
    stop = stop_on_signals()
    options = WorkerOptions(
        spool_path=settings.spool_path,
        dead_letter_path=settings.dead_letter_path,
        spool_max_bytes=settings.ingest.spool_max_mb * 1024 * 1024,
        retry_budget_s=settings.ingest.retry_budget_s,
        stale_after_intervals=settings.ingest.stale_after_intervals,
        stale_check_s=settings.ingest.stale_check_s,
    )
    worker: IngestWorker
    store = None  # the network process's own, with one writer (writer processes close theirs)
    if settings.ingest.writers == 1:
        sessions = open_database(settings)
        store = open_series(settings, sessions)
        worker = IngestWorker(settings.mqtt, settings.ingest, store, sessions, **options)
    else:
        from ingest.process_worker import ProcessWorker
        from kilowatch.logs import setup_logging

        open_database(settings)  # migrated once, here, before the writers open it
        worker = ProcessWorker(
            settings.mqtt,
            settings.ingest,
            partial(open_writable_series, settings),
            partial(open_database, settings),
            writers=settings.ingest.writers,
            setup_logging=partial(setup_logging, settings.log_level),
            **options,
        )
    if metrics_port:
        from ingest.metrics import serve_metrics

        try:
            serve_metrics(metrics_port, worker.metrics_registry, addr=settings.ingest.metrics_host)
        except OSError as exc:
            console.print(
                f"[red]kilowatch ingest:[/red] {_cannot_listen(exc, settings.ingest.metrics_host, metrics_port)}", soft_wrap=True
            )
            raise typer.Exit(1) from None
    worker.start()
    from ingest.heap import settle

    settle()  # after start: the registry cache is loaded
    log.info(
        "ingesting from %s:%d (%s) as client id %s",
        settings.mqtt.host,
        settings.mqtt.port,
        settings.mqtt.topic_prefix,
        settings.mqtt.client_id,
    )
    # Until SIGTERM/Ctrl-C, or until the writer fails: then exit 1 so the ingest is restarted.
    try:
        failed = worker.run_until(stop)
    finally:
        if store is not None:
            store.close()  # bumps the reading versions still pending
    if failed:
        raise typer.Exit(1)


def _cannot_listen(exc: OSError, host: str, port: int) -> str:
    """One line saying why the metrics endpoint cannot listen, and which flag changes it."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"metrics port {port} on {host} is already in use (another ingest?); "
            f"choose another with --metrics-port N, or turn metrics off with --metrics-port 0"
        )
    if isinstance(exc, socket.gaierror) or exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
        return f"cannot listen on {host}:{port} for metrics ({exc.strerror or exc}); check --metrics-host"
    return f"cannot listen on {host}:{port} for metrics ({exc.strerror or exc}); choose another --metrics-port"


def register(app: typer.Typer) -> None:
    app.command()(ingest)
