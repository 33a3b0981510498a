"""``kilowatch detect``."""

from __future__ import annotations

import logging
from typing import Annotated, Optional

import typer

from kilowatch.context import settings_from

log = logging.getLogger(__name__)


def detect(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run one pass and exit.")] = False,
    interval: Annotated[Optional[float], typer.Option(help="Seconds between passes.")] = None,
    site: Annotated[Optional[list[str]], typer.Option(help="Only these sites (repeatable); splits a portfolio across workers.")] = None,
    metrics_port: Annotated[int, typer.Option(help="Port of the Prometheus metrics endpoint (0 = off; not served with --once).")] = 9109,
) -> None:
    """Run waste detection passes over recent data and keep alerts up to date."""
    from kilowatch.detect_metrics import DetectMetrics, serve
    from kilowatch.runtime import stop_on_signals
    from kilowatch.wiring import open_database, open_series
    from models.detection import DetectionPass

    settings = settings_from(ctx, detect={"interval_s": interval})
    detector = DetectionPass(open_series(settings), open_database(settings), settings.detect, settings.carbon)
    stop = stop_on_signals()
    metrics = DetectMetrics()
    if metrics_port and not once:
        serve(metrics_port, metrics)
    while True:
        with metrics.timing():
            report = detector.run(site_ids=site)
        metrics.record(report, detector.sessions, site)
        log.info("detection pass: %s", report)
        # A heartbeat for container health checks: its age tells whether passes still finish.
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        (settings.data_dir / "detect.heartbeat").touch()
        if once or stop.wait(settings.detect.interval_s):
            break


def register(app: typer.Typer) -> None:
    app.command()(detect)
