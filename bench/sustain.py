"""A national portfolio at its real rate: 5,000 sites x 50 meters, one reading a minute.

That is about 4,200 readings/s in 83 gateway batches a second. The worker must keep
up for the whole run: the backlog (published minus stored) and the data lag must
stay flat instead of growing.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt

from bench.worker import IngestProcess
from core import wire
from core.domain import Meter, MeterCategory, Reading, Site, SiteType

SITES = 5000
METERS = 50
#: Samples of backlog and lag, one every few seconds.
SAMPLE_EVERY_S = 5.0


@dataclass
class SustainResult:
    minutes: float
    readings_per_s_target: float
    published: int = 0
    stored: int = 0
    samples: list[tuple[float, int, float]] = field(default_factory=list)  # (t, backlog, lag seconds)
    stored_samples: list[int] = field(default_factory=list)  # stored readings at each sample
    peak_rss_mb: float = 0.0

    rejected: int = 0
    spooled: int = 0

    def _quarter(self, first: bool) -> list[tuple[float, int, float]]:
        cut = len(self.samples) // 4 or 1
        return self.samples[:cut] if first else self.samples[-cut:]

    def backlog(self, first: bool) -> float:
        """Median readings published but not yet stored, over the first or the last quarter."""
        return statistics.median(b for _, b, _ in self._quarter(first))

    def lag(self, first: bool) -> float:
        """Median data lag (seconds from a reading's timestamp to its storing), first or last quarter."""
        lags = [lag for _, _, lag in self._quarter(first) if lag == lag]  # NaN before the first store
        return statistics.median(lags) if lags else float("nan")

    def per_minute(self) -> list[tuple[int, int, int, float]]:
        """``(minute, stored so far, backlog, lag)`` at the last sample of every minute of the run."""
        rows: dict[int, tuple[int, int, int, float]] = {}
        for t, backlog, lag, stored in ((t, b, lag, s) for (t, b, lag), s in zip(self.samples, self.stored_samples, strict=True)):
            minute = int(t // 60) + 1
            rows[minute] = (minute, stored, backlog, lag)
        return list(rows.values())

    @property
    def max_lag(self) -> float:
        return max((lag for _, _, lag in self.samples if lag == lag), default=float("nan"))


def _sites(n: int) -> list[tuple[Site, list[Meter]]]:
    return [
        (site, [Meter(f"{site.site_id}-{j:02d}", site.site_id, MeterCategory.CORRIDOR_LIGHTING, 5.0) for j in range(METERS)])
        for site in (Site(f"nat-{i:04d}", f"site {i}", SiteType.RESIDENTIAL, "Wuhan", "湖北", 30.6, 114.3) for i in range(n))
    ]


def _publisher(port: int, prefix: str, minutes: float, n_sites: int, result: SustainResult, stop: threading.Event) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-national")
    client.max_inflight_messages_set(500)
    client.connect("127.0.0.1", port)
    client.loop_start()
    sites = _sites(n_sites)
    for site, meters in sites:
        client.publish(wire.meta_topic(site.site_id, prefix), wire.encode_meta(site, meters), qos=1, retain=True)
    start = time.monotonic()
    step = 0
    per_batch_s = 60.0 / n_sites
    while time.monotonic() - start < minutes * 60 and not stop.is_set():
        ts = int(time.time()) // 60 * 60
        for i, (site, meters) in enumerate(sites):
            # Spread each minute's batches evenly, as 5,000 gateways would.
            due = start + step * 60 + i * per_batch_s
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            readings = [Reading(site.site_id, m.meter_id, ts, 100.0 + step * 0.02) for m in meters]
            last = client.publish(wire.batch_topic(site.site_id, prefix), wire.encode_batch(site.site_id, readings), qos=1)
            result.published += METERS
        step += 1
    # paho sends in order: once the last message is acknowledged, the queue has drained,
    # so every reading counted as published has reached the broker.
    if step:
        last.wait_for_publish(timeout=300)
    client.loop_stop()
    client.disconnect()


def run(broker, influx, workdir: Path, minutes: float, n_sites: int = SITES) -> SustainResult:
    prefix = "national/v1"
    result = SustainResult(minutes=minutes, readings_per_s_target=n_sites * METERS / 60)
    worker = IngestProcess(workdir, broker.port, prefix, influx.url, influx.new_database())
    worker.start()
    stop = threading.Event()
    try:
        worker.wait_ready(timeout=60)
        publisher = threading.Thread(target=_publisher, args=(broker.port, prefix, minutes, n_sites, result, stop), daemon=True)
        publisher.start()
        t0 = time.monotonic()
        while publisher.is_alive():
            publisher.join(SAMPLE_EVERY_S)
            metrics = worker.metrics()
            stored = int(metrics.get("kilowatch_ingest_stored_readings_total", 0))
            lag = metrics.get("kilowatch_ingest_data_lag_seconds", float("nan"))
            result.samples.append((time.monotonic() - t0, result.published - stored, lag))
            result.stored_samples.append(stored)
        worker.wait_metric("stored_readings", result.published, timeout=300)
        result.stored = int(worker.metric("stored_readings"))
        metrics = worker.metrics()
        result.rejected = int(sum(v for k, v in metrics.items() if k.startswith("kilowatch_ingest_rejected")))
        result.spooled = int(metrics.get("kilowatch_ingest_spooled_readings_total", 0))
        result.peak_rss_mb = worker.peak_rss_mb()
    finally:
        stop.set()
        worker.stop()
    return result
