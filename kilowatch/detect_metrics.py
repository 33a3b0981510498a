"""Prometheus metrics of the ``kilowatch detect`` loop: pass duration, meters scored, alerts, failures.

Recorded once per pass from the ``DetectionReport`` (so ``models`` stays free of metrics),
on a private registry served on any path for Prometheus. Detect's health check stays its
heartbeat file (docker-compose.yml): a pass may rightly take longer than a scrape interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.db.tables import AlertRecord
from models.detection import DETECTION_FAILED, DetectionReport

log = logging.getLogger(__name__)

PREFIX = "kilowatch_detect"
#: Seconds: a small portfolio's pass takes a second, a first pass fitting 10,000 baselines
#: half an hour; past the fit budget (detect.fit_budget_s) passes stay in the middle buckets.
PASS_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
#: The report's alert counts, exported as one counter labelled by change.
ALERT_CHANGES = ("opened", "updated", "closed", "reopened", "verified", "suppressed")


class DetectMetrics:
    """The detect loop's metrics on their own registry (tests may build several)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.pass_seconds = Histogram(
            f"{PREFIX}_pass_duration_seconds", "Wall time of one detection pass", buckets=PASS_BUCKETS, registry=r
        )
        self.passes = Counter(f"{PREFIX}_passes", "Detection passes by outcome (ok, failed)", ["outcome"], registry=r)
        self.failures = Counter(
            f"{PREFIX}_failures",
            "Failures: whole passes that raised (pass), sites whose scan raised (site)",
            ["scope"],
            registry=r,
        )
        self.meters_scored = Counter(f"{PREFIX}_meters_scored", "Meters scored, summed over passes", registry=r)
        self.last_meters_scored = Gauge(f"{PREFIX}_last_pass_meters_scored", "Meters scored by the last pass", registry=r)
        self.sites_scanned = Counter(f"{PREFIX}_sites_scanned", "Sites scanned, summed over passes", registry=r)
        self.alert_changes = Counter(
            f"{PREFIX}_alert_changes", "Alerts opened, updated, closed ... by the passes", ["change"], registry=r
        )
        self.ongoing = Gauge(f"{PREFIX}_ongoing_alerts", "Alerts whose waste is still going on, by kind", ["kind"], registry=r)
        self.last_success = Gauge(f"{PREFIX}_last_success_timestamp_seconds", "Wall time the last good pass ended", registry=r)
        self._kinds: set[str] = set()
        for outcome in ("ok", "failed"):
            self.passes.labels(outcome)
        for scope in ("pass", "site"):
            self.failures.labels(scope)
        for change in ALERT_CHANGES:
            self.alert_changes.labels(change)

    @contextmanager
    def timing(self) -> Iterator[None]:
        """Time one pass; a pass that raises is counted as failed and the error goes on."""
        started = time.perf_counter()
        try:
            yield
        except BaseException:
            self.passes.labels("failed").inc()
            self.failures.labels("pass").inc()
            raise
        finally:
            self.pass_seconds.observe(time.perf_counter() - started)
        self.passes.labels("ok").inc()
        self.last_success.set(time.time())

    def record(
        self, report: DetectionReport, sessions: sessionmaker[Session] | None = None, site_ids: list[str] | None = None
    ) -> None:
        """Count one finished pass; with ``sessions``, refresh the ongoing alerts of ``site_ids`` (all by default)."""
        self.meters_scored.inc(report.meters_scored)
        self.last_meters_scored.set(report.meters_scored)
        self.sites_scanned.inc(report.sites_scanned)
        for change in ALERT_CHANGES:
            self.alert_changes.labels(change).inc(getattr(report, f"alerts_{change}"))
        self.failures.labels("site").inc(sum(1 for w in report.warnings if w.code == DETECTION_FAILED))
        if sessions is not None:
            try:
                self._count_ongoing(sessions, site_ids)
            except Exception:  # a metric is a courtesy: the loop goes on, the gauge keeps its last value
                log.exception("cannot count the ongoing alerts for the detect metrics")

    def _count_ongoing(self, sessions: sessionmaker[Session], site_ids: list[str] | None) -> None:
        query = select(AlertRecord.kind, func.count()).where(AlertRecord.ongoing.is_(True)).group_by(AlertRecord.kind)
        if site_ids is not None:
            query = query.where(AlertRecord.site_id.in_(site_ids))
        with sessions() as session:
            counts = dict(session.execute(query).all())
        # A kind whose last alert ended must read 0, not keep its old value.
        self._kinds |= counts.keys()
        for kind in self._kinds:
            self.ongoing.labels(kind).set(counts.get(kind, 0))


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # the base class's name
        """A scrape every 15 seconds is not news."""


def serve(port: int, metrics: DetectMetrics, addr: str = "0.0.0.0") -> WSGIServer:
    """Serve ``metrics`` for Prometheus (any path) on a daemon thread; ``shutdown()`` stops it."""
    server = make_server(addr, port, make_wsgi_app(metrics.registry), _Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="detect-metrics", daemon=True).start()
    return server
