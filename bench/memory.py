"""Peak memory of `kilowatch ingest` under large payloads, beside the buffer's byte bound.

Every message carries one reading padded to just under the 256 kB payload limit (an
extra field the wire format ignores), the case where memory grows with bytes while the
reading count stays small. The publisher is a paho client in this process, QoS 1.

The messages arrive while InfluxDB is stopped, the worst case for memory: nothing can be
written, so the worker holds what it takes in until its retry budget (30 s) sends it to
the spool. InfluxDB is started again once everything is received; the run ends when
every reading is stored.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt

from bench.ingest_throughput import _announce
from bench.payloads import portfolio
from bench.worker import IngestProcess, wait_total
from core import wire
from core.settings import IngestSettings
from core.timebase import HOUR

#: Bytes of each message: just under core.wire.MAX_PAYLOAD_BYTES, as in issue 11's report.
MESSAGE_BYTES = 255 * 1024
#: Messages the publisher keeps unacknowledged: enough to outrun the worker.
PUB_INFLIGHT = 200


@dataclass(frozen=True)
class MemoryResult:
    messages: int
    message_bytes: int
    buffer_max_mb: int
    baseline_rss_mb: float
    peak_rss_mb: float
    seconds: float


def _payload(ts: int, register: float) -> bytes:
    body = {"v": 1, "ts": ts, "register": register, "note": ""}
    padding = MESSAGE_BYTES - len(json.dumps(body).encode())
    return json.dumps({**body, "note": "x" * padding}).encode()


def _publish(port: int, topics: list[str], messages: int, start_ts: int) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-memory-{time.time_ns()}")
    client.max_inflight_messages_set(PUB_INFLIGHT)
    client.max_queued_messages_set(PUB_INFLIGHT)
    client.connect("127.0.0.1", port)
    client.loop_start()
    infos = []
    for i in range(messages):
        topic = topics[i % len(topics)]
        info = client.publish(topic, _payload(start_ts + (i // len(topics)) * 60, 1000.0 + i), qos=1)
        infos.append(info)
        if len(infos) >= PUB_INFLIGHT:
            infos.pop(0).wait_for_publish(60)
    for info in infos:
        info.wait_for_publish(60)
    client.loop_stop()
    client.disconnect()


def run(broker, influx, workdir: Path, messages: int) -> MemoryResult:
    """Publish ``messages`` large messages as fast as the broker takes them; the worker's memory."""
    prefix = f"benchmem{time.time_ns() % 10**9}/v1"
    run_dir = workdir / "memory"
    run_dir.mkdir(exist_ok=True)
    sites = portfolio(batch=False)
    topics = [wire.reading_topic(site.site_id, meters[0].meter_id, prefix) for site, meters in sites]
    worker = IngestProcess(run_dir, broker.port, prefix, influx.url, influx.new_database())
    bound = IngestSettings().buffer_max_mb
    worker.start()
    try:
        worker.wait_ready(timeout=60)
        announced = _announce(broker.port, prefix, batch=False)
        worker.wait_metric("received_messages", announced, timeout=60)
        baseline = worker.peak_rss_mb()
        start = time.perf_counter()
        per_topic = -(-messages // len(topics))
        influx.stop()
        try:
            _publish(broker.port, topics, messages, int(time.time()) - per_topic * 60 - HOUR)
            wait_total([worker], "received_messages", announced + messages, timeout=900)
        finally:
            influx.start()
        done = wait_total([worker], "stored_readings", messages, timeout=900)
        peak = worker.peak_rss_mb()
    finally:
        worker.stop()
    return MemoryResult(messages, MESSAGE_BYTES, bound, baseline, peak, done - start)
