"""Ingest counters: a snapshot for callers and Prometheus metrics on a private registry.

Every counter is a plain integer written by one thread only (``received`` and
``connections`` by the network thread, the rest by the writer thread), so the hot path
takes no lock; a collector reads them when Prometheus scrapes.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

PREFIX = "kilowatch_ingest"
#: Upper bounds (seconds) of the acknowledgement-lag histogram: from a flush interval
#: (0.5 s by default) up to a store outage that outlasts the retry budget.
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


@dataclass(frozen=True, slots=True)
class IngestStats:
    """What one worker has done since it started."""

    received: int = 0
    """MQTT messages received (readings, batches and announcements)."""
    stored: int = 0
    """Readings written to the store (replayed ones included)."""
    acked: int = 0
    """Messages acknowledged to the broker."""
    rejected: Counter[str] = field(default_factory=Counter)
    """Rejected readings or messages, by reason category."""
    duplicates: int = 0
    """Readings already seen with the same register (acknowledged, not written again)."""
    resets: int = 0
    """Registers that went down (stored with energy 0.0 for that interval)."""
    rollovers: int = 0
    """Registers that passed their ``register_max`` and started again."""
    out_of_order: int = 0
    """Readings older than the meter's newest one (stored with energy 0.0)."""
    announcements: int = 0
    """Site announcements applied to the registry."""
    weather_samples: int = 0
    """Hours of measured outdoor temperature stored (``{prefix}/{site}/weather``)."""
    connections: int = 0
    """Successful connections to the broker (more than one means reconnects)."""
    store_errors: int = 0
    """Failed store or registry writes (each retry counts)."""
    pending: int = 0
    """Readings received but not yet written, spooled or dead-lettered."""
    spooled: int = 0
    """Readings written to the local spool while the store was unavailable."""
    replayed: int = 0
    """Spooled readings written to the store since."""
    reconciled: int = 0
    """Points rewritten because their stored predecessor was not the one first assumed."""
    findings: Counter[str] = field(default_factory=Counter)
    """Data findings raised, by kind."""


class IngestMetrics:
    """Single-writer counters of one worker, exported through its own Prometheus registry."""

    def __init__(self) -> None:
        self.received = 0
        self.received_readings = 0
        self.connections = 0
        self.settled_readings = 0
        self.stored = 0
        self.acked = 0
        self.rejected: Counter[str] = Counter()
        self.duplicates = 0
        self.resets = 0
        self.rollovers = 0
        self.out_of_order = 0
        self.announcements = 0
        self.weather_samples = 0
        self.store_errors = 0
        self.spooled = 0
        self.spooled_bytes = 0
        self.replayed = 0
        self.reconciled = 0
        self.findings: Counter[str] = Counter()
        self.newest_stored_ts: int | None = None
        self.lag_counts = [0] * (len(LAG_BUCKETS) + 1)
        self.lag_sum = 0.0
        # Gauges read from the components that own the numbers; set by the worker.
        self.queue_messages: Callable[[], int] = lambda: 0
        self.queue_readings: Callable[[], int] = lambda: 0
        self.queue_bytes: Callable[[], int] = lambda: 0
        self.spool_bytes: Callable[[], int] = lambda: 0
        self.spool_full = False
        #: False once the writer died of an unexpected error: the process is on its way out.
        self.healthy = True
        self.clock: Callable[[], float] = lambda: math.nan
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(_Collector(self))

    @property
    def pending(self) -> int:
        return self.received_readings - self.settled_readings

    def store_error(self) -> None:
        self.store_errors += 1

    def ack_lag(self, seconds: float) -> None:
        self.lag_counts[bisect.bisect_left(LAG_BUCKETS, seconds)] += 1
        self.lag_sum += seconds

    def stored_up_to(self, ts: int) -> None:
        if self.newest_stored_ts is None or ts > self.newest_stored_ts:
            self.newest_stored_ts = ts

    def snapshot(self) -> IngestStats:
        return IngestStats(
            received=self.received,
            stored=self.stored,
            acked=self.acked,
            rejected=Counter(self.rejected),
            duplicates=self.duplicates,
            resets=self.resets,
            rollovers=self.rollovers,
            out_of_order=self.out_of_order,
            announcements=self.announcements,
            weather_samples=self.weather_samples,
            connections=self.connections,
            store_errors=self.store_errors,
            pending=self.pending,
            spooled=self.spooled,
            replayed=self.replayed,
            reconciled=self.reconciled,
            findings=Counter(self.findings),
        )


#: Counters a writer process keeps and reports to its network process (which adds them up);
#: the network process keeps its own ``received``, ``connections``, ``acked`` and lag.
WRITER_COUNTERS = (
    "received_readings",
    "settled_readings",
    "stored",
    "duplicates",
    "resets",
    "rollovers",
    "out_of_order",
    "announcements",
    "store_errors",
    "spooled",
    "spooled_bytes",
    "replayed",
    "reconciled",
)


def writer_report(m: IngestMetrics) -> dict:
    """What a writer process tells its network process about itself (plain, picklable values)."""
    report: dict = {name: getattr(m, name) for name in WRITER_COUNTERS}
    report.update(
        rejected=dict(m.rejected),
        findings=dict(m.findings),
        newest=m.newest_stored_ts,
        spool_full=m.spool_full,
        spool_bytes=m.spool_bytes(),
        queue=(m.queue_messages(), m.queue_readings(), m.queue_bytes()),
    )
    return report


def absorb(m: IngestMetrics, reports: list[dict]) -> None:
    """Set ``m``'s writer counters to the sum of the writer processes' latest ``reports``."""
    for name in WRITER_COUNTERS:
        setattr(m, name, sum(r[name] for r in reports))
    m.rejected = sum((Counter(r["rejected"]) for r in reports), Counter())
    m.findings = sum((Counter(r["findings"]) for r in reports), Counter())
    newest = [r["newest"] for r in reports if r["newest"] is not None]
    m.newest_stored_ts = max(newest) if newest else None
    m.spool_full = any(r["spool_full"] for r in reports)
    spool, queue = sum(r["spool_bytes"] for r in reports), [sum(r["queue"][i] for r in reports) for i in range(3)]
    m.spool_bytes = lambda: spool
    m.queue_messages, m.queue_readings, m.queue_bytes = (lambda: queue[0]), (lambda: queue[1]), (lambda: queue[2])


class _Collector:
    """Turns the counters into metric families at scrape time."""

    def __init__(self, m: IngestMetrics) -> None:
        self._m = m

    def collect(self) -> Iterator[Metric]:
        m = self._m

        def counter(name: str, doc: str, value: float) -> CounterMetricFamily:
            return CounterMetricFamily(f"{PREFIX}_{name}", doc, value=value)

        def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"{PREFIX}_{name}", doc, value=value)

        yield counter("received_messages", "MQTT messages received", m.received)
        yield counter("received_readings", "Readings in received messages", m.received_readings)
        yield counter("stored_readings", "Readings written to the store", m.stored)
        yield counter("acked_messages", "Messages acknowledged to the broker", m.acked)
        yield counter("duplicates", "Duplicate readings", m.duplicates)
        yield counter("store_errors", "Failed store or registry writes", m.store_errors)
        yield counter("connections", "Successful connections to the broker", m.connections)
        yield counter("spooled_readings", "Readings written to the local spool", m.spooled)
        yield counter("spooled_bytes", "Bytes written to the local spool", m.spooled_bytes)
        yield counter("replayed_readings", "Spooled readings written to the store", m.replayed)
        yield counter("reconciled_points", "Points rewritten against their stored predecessor", m.reconciled)
        rejected = CounterMetricFamily(f"{PREFIX}_rejected", "Rejected readings or messages", labels=["reason"])
        for reason, n in sorted(m.rejected.items()):
            rejected.add_metric([reason], n)
        yield rejected
        quality = CounterMetricFamily(
            f"{PREFIX}_data_quality_events", "Register resets, rollovers, late readings", labels=["kind"]
        )
        for kind, n in (("reset", m.resets), ("rollover", m.rollovers), ("out_of_order", m.out_of_order)):
            quality.add_metric([kind], n)
        yield quality
        findings = CounterMetricFamily(f"{PREFIX}_findings", "Data findings raised", labels=["kind"])
        for kind, n in sorted(m.findings.items()):
            findings.add_metric([kind], n)
        yield findings
        yield gauge("pending_readings", "Readings received but not yet written or spooled", m.pending)
        yield gauge("queue_depth_messages", "Messages waiting in the receive buffer", m.queue_messages())
        yield gauge("queue_depth_readings", "Readings waiting in the receive buffer", m.queue_readings())
        yield gauge("queue_depth_bytes", "Bytes (as received) of the messages waiting in the receive buffer", m.queue_bytes())
        yield gauge("spool_bytes", "Bytes in the local spool", m.spool_bytes())
        yield gauge("spool_full", "1 while the spool is full and messages stay unacknowledged", float(m.spool_full))
        yield gauge("healthy", "1 while the writer runs; 0 after an unexpected failure (the process exits)", float(m.healthy))
        newest = m.newest_stored_ts
        lag = m.clock() - newest if newest is not None else math.nan
        yield gauge("data_lag_seconds", "Now minus the newest reading stored", lag)
        buckets, running = [], 0
        for bound, n in zip((*map(str, LAG_BUCKETS), "+Inf"), m.lag_counts, strict=True):
            running += n
            buckets.append((bound, running))
        yield HistogramMetricFamily(
            f"{PREFIX}_ack_lag_seconds",
            "Seconds from a message's arrival to its acknowledgement",
            buckets=buckets,
            sum_value=m.lag_sum,
        )


#: Path of the health check: 200 while ``kilowatch_ingest_healthy`` is 1, else 503.
HEALTH_PATH = "/healthz"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # the base class's name
        """Scrapes and health checks every few seconds are not news."""


def serve_metrics(port: int, registry: CollectorRegistry, addr: str = "127.0.0.1") -> WSGIServer:
    """Serve Prometheus metrics (any path) and ``HEALTH_PATH`` on a daemon thread; ``shutdown()`` stops it.

    The health answer is read from the exported ``healthy`` gauge, so the check and the
    metric cannot disagree; a plain HTTP client (a compose health check) sees a 503.
    """
    metrics_app = make_wsgi_app(registry)

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != HEALTH_PATH:
            return metrics_app(environ, start_response)
        healthy = registry.get_sample_value(f"{PREFIX}_healthy") == 1.0
        start_response("200 OK" if healthy else "503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"ok\n" if healthy else b"unhealthy: the ingest writer failed; exiting\n"]

    server = make_server(addr, port, app, _Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="ingest-metrics", daemon=True).start()
    return server
