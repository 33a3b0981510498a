"""Ingest counters: a snapshot for callers and Prometheus metrics on a private registry."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from prometheus_client import Counter as PromCounter
from prometheus_client import Gauge


@dataclass(frozen=True, slots=True)
class IngestStats:
    """What one worker has done since it started."""

    received: int = 0
    """MQTT messages received (readings, batches and announcements)."""
    stored: int = 0
    """Readings written to the store."""
    acked: int = 0
    """Messages acknowledged to the broker."""
    rejected: Counter[str] = field(default_factory=Counter)
    """Rejected readings or messages, by reason category."""
    duplicates: int = 0
    """Readings already seen with the same register (acknowledged, not written again)."""
    resets: int = 0
    """Registers that went down (stored with energy 0.0 for that interval)."""
    out_of_order: int = 0
    """Readings older than the meter's newest one (stored with energy 0.0)."""
    announcements: int = 0
    """Site announcements applied to the registry."""
    connections: int = 0
    """Successful connections to the broker (more than one means reconnects)."""
    store_errors: int = 0
    """Failed store or registry writes (each retry counts)."""
    pending: int = 0
    """Readings received but not yet written or dead-lettered."""


class IngestMetrics:
    """Thread-safe counters mirrored into Prometheus metrics of the worker's own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._rejected: Counter[str] = Counter()
        self._pending = 0
        prefix = "kilowatch_ingest"
        self._received = PromCounter(f"{prefix}_received_messages", "MQTT messages received", registry=self.registry)
        self._stored = PromCounter(f"{prefix}_stored_readings", "Readings written to the store", registry=self.registry)
        self._rejected_metric = PromCounter(
            f"{prefix}_rejected", "Rejected readings or messages", ["reason"], registry=self.registry
        )
        self._duplicates = PromCounter(f"{prefix}_duplicates", "Duplicate readings", registry=self.registry)
        self._quality = PromCounter(
            f"{prefix}_data_quality_events", "Register resets and out-of-order readings", ["kind"], registry=self.registry
        )
        self._store_errors = PromCounter(f"{prefix}_store_errors", "Failed store or registry writes", registry=self.registry)
        gauge = Gauge(f"{prefix}_pending_readings", "Readings received but not yet written", registry=self.registry)
        gauge.set_function(lambda: self._pending)

    def received(self) -> None:
        self._add("received", 1)
        self._received.inc()

    def settled(self, stored: int, readings: int) -> None:
        """A batch is written: ``stored`` points are in the store, ``readings`` no longer pending."""
        with self._lock:
            self._counts["stored"] += stored
            self._pending -= readings
        self._stored.inc(stored)

    def acked(self, n: int) -> None:
        self._add("acked", n)

    def rejected(self, reason: str) -> None:
        with self._lock:
            self._rejected[reason] += 1
        self._rejected_metric.labels(reason=reason).inc()

    def duplicate(self) -> None:
        self._add("duplicates", 1)
        self._duplicates.inc()

    def reset(self) -> None:
        self._add("resets", 1)
        self._quality.labels(kind="reset").inc()

    def out_of_order(self) -> None:
        self._add("out_of_order", 1)
        self._quality.labels(kind="out_of_order").inc()

    def announcement(self) -> None:
        self._add("announcements", 1)

    def connected(self) -> None:
        self._add("connections", 1)

    def store_error(self) -> None:
        self._add("store_errors", 1)
        self._store_errors.inc()

    def buffered(self, readings: int) -> None:
        with self._lock:
            self._pending += readings

    def snapshot(self) -> IngestStats:
        with self._lock:
            return IngestStats(rejected=Counter(self._rejected), pending=self._pending, **self._counts)

    def _add(self, name: str, n: int) -> None:
        with self._lock:
            self._counts[name] += n
