"""End-to-end ingest throughput beside the Mosquitto C-client and raw InfluxDB ceilings."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt

from bench.ceilings import influx_raw_writes, mqtt_c_client, paho_subscriber, publish
from bench.payloads import Stream, meta_messages, write_streams
from bench.worker import IngestProcess, cpu_seconds, wait_total
from core import wire
from core.domain import EnergyPoint


@dataclass(frozen=True)
class IngestResult:
    mode: str
    readings: int
    messages: int
    seconds: float
    c_client_seconds: float
    paho_seconds: float
    influx_raw_seconds: float
    peak_rss_mb: float
    writers: int = 1
    #: CPU cores (CPU seconds per second) each side took while the worker ran.
    ingest_cores: float = 0.0
    broker_cores: float = 0.0
    influx_cores: float = 0.0

    @property
    def readings_per_s(self) -> float:
        return self.readings / self.seconds

    @property
    def c_client_readings_per_s(self) -> float:
        return self.readings / self.c_client_seconds

    @property
    def paho_readings_per_s(self) -> float:
        return self.readings / self.paho_seconds

    @property
    def influx_raw_points_per_s(self) -> float:
        return self.readings / self.influx_raw_seconds


def _announce(port: int, prefix: str, batch: bool) -> int:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-announcer-{time.time_ns()}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    messages = meta_messages(prefix, batch)
    for topic, payload in messages:
        client.publish(topic, payload, qos=1, retain=True).wait_for_publish(10)
    client.loop_stop()
    client.disconnect()
    return len(messages)


def _points(streams: list[Stream], prefix: str) -> list[EnergyPoint]:
    points = []
    for stream in streams:
        with stream.path.open("rb") as lines:
            for line in lines:
                for r in wire.decode(stream.topic, line.rstrip(b"\n"), prefix).readings:
                    points.append(EnergyPoint(r.site_id, r.meter_id, "public_hvac", r.ts, r.register, 0.25))
    return points


def run(
    broker, influx, workdir: Path, readings: int, batch: bool, qos: int = 1, workers: int = 1, writers: int = 1
) -> IngestResult:
    """Measure one mode; every figure comes from the same payload files.

    ``workers`` > 1: that many ``kilowatch ingest`` processes in one MQTT 5 shared
    subscription group, writing to the same database (the scale-out of docs/scaling.md).
    ``writers`` > 1: each process spreads its sites over that many writer processes.
    """
    mode = "gateway batches" if batch else "per-meter messages"
    prefix = f"bench{time.time_ns() % 10**9}/v1"
    run_dir = workdir / ("batch" if batch else "meter")
    run_dir.mkdir(exist_ok=True)
    streams = write_streams(run_dir, prefix, readings, batch)
    total_readings = sum(s.readings for s in streams)
    total_messages = sum(s.messages for s in streams)

    c_seconds = mqtt_c_client(broker.host, broker.port, f"{prefix}-c", _retopic(streams, prefix, f"{prefix}-c"), qos, run_dir)
    paho_seconds = paho_subscriber(broker.host, broker.port, f"{prefix}-p", _retopic(streams, prefix, f"{prefix}-p"), qos)
    raw_seconds = influx_raw_writes(influx.url, influx.new_database(), _points(streams, prefix))

    database = influx.new_database()
    group = "bench" if workers > 1 else ""
    pool = [IngestProcess(run_dir, broker.port, prefix, influx.url, database, group, i, writers) for i in range(workers)]
    for worker in pool:
        worker.start()
    try:
        for worker in pool:
            worker.wait_ready(timeout=60)
        announced = _announce(broker.port, prefix, batch)
        for worker in pool:
            # Retained announcements reach every member of a shared group; acknowledged means
            # applied (with writer processes, received only means handed to a writer).
            worker.wait_metric("acked_messages", announced, timeout=120)
        ingest_pids = [pid for worker in pool for pid in worker.pids()]
        servers = {"broker": [broker.process.pid], "influx": [influx.process.pid], "ingest": ingest_pids}
        cpu = {name: cpu_seconds(pids) for name, pids in servers.items()}
        start = time.perf_counter()
        pubs = publish(broker.host, broker.port, streams, qos)
        done = wait_total(pool, "stored_readings", total_readings, timeout=900)
        seconds = done - start
        cores = {name: (cpu_seconds(pids) - cpu[name]) / seconds for name, pids in servers.items()}
        for p in pubs:
            p.wait(timeout=60)
        peak = max(worker.peak_rss_mb() for worker in pool)
    finally:
        for worker in pool:
            worker.stop()
    return IngestResult(
        mode,
        total_readings,
        total_messages,
        seconds,
        c_seconds,
        paho_seconds,
        raw_seconds,
        peak,
        writers,
        cores["ingest"],
        cores["broker"],
        cores["influx"],
    )


def _retopic(streams: list[Stream], old: str, new: str) -> list[Stream]:
    """The same payload files on another prefix, so the ceiling run never reaches the worker."""
    return [Stream(s.topic.replace(old, new, 1), s.path, s.messages, s.readings) for s in streams]
