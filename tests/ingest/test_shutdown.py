"""`kilowatch ingest` on SIGTERM: stops consuming, writes what it received, acknowledges exactly that."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.ingest.conftest import METERS, SITE
from tests.support import free_port, wait_for

LOBBY = METERS[0].meter_id
READINGS = 300
KILOWATCH = Path(sys.executable).parent / "kilowatch"


def metric(port: int, name: str) -> float:
    for line in httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text.splitlines():
        if line.startswith(name + " "):
            return float(line.rpartition(" ")[2])
    return 0.0


@pytest.fixture
def ingest_process(mosquitto, topic_prefix, tmp_path):
    """A `kilowatch ingest` that only writes when it stops (flush deadline and batch beyond the test)."""
    port = free_port()
    client_id = f"ingest-{uuid.uuid4().hex[:8]}"
    env = os.environ | {
        "KILOWATCH_MQTT__HOST": mosquitto.host,
        "KILOWATCH_MQTT__PORT": str(mosquitto.port),
        "KILOWATCH_MQTT__TOPIC_PREFIX": topic_prefix,
        "KILOWATCH_MQTT__CLIENT_ID": client_id,
        "KILOWATCH_INGEST__FLUSH_INTERVAL_S": "600",
        "KILOWATCH_INGEST__BATCH_SIZE": "100000",
        "KILOWATCH_LOG_LEVEL": "INFO",
    }
    log = (tmp_path / "ingest.log").open("wb")
    process = subprocess.Popen(
        [str(KILOWATCH), "--data-dir", str(tmp_path), "ingest", "--metrics-port", str(port)], env=env, stdout=log, stderr=log
    )
    log.close()
    try:
        wait_for(lambda: metric(port, "kilowatch_ingest_connections_total") >= 1, timeout=30, what="ingest connected")
        yield process, port, client_id
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def no_redelivery(mosquitto, prefix: str, client_id: str, publisher) -> list[bytes]:
    """Messages the broker still held for ``client_id``'s session, before a fresh sentinel."""
    received: list[bytes] = []
    sentinel = f"sentinel-{uuid.uuid4().hex}".encode()
    seen = threading.Event()

    def on_message(_c, _u, message):
        (seen.set() if message.payload == sentinel else received.append(message.payload))

    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
    client.on_message = on_message
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 60
    client.connect(mosquitto.host, mosquitto.port, clean_start=False, properties=properties)
    client.loop_start()
    try:
        # The session kept the worker's subscriptions: messages still queued for it are
        # delivered before anything published now, so the sentinel marks their end.
        wait_for(client.is_connected, what="checker connected")
        publisher.raw(f"{prefix}/{SITE.site_id}/sentinel/reading", sentinel)
        assert seen.wait(10), "sentinel not delivered"
    finally:
        client.disconnect()
        client.loop_stop()
    return received


def test_sigterm_writes_everything_received_acknowledges_it_and_exits_0(ingest_process, publisher, mosquitto, tmp_path):
    process, port, client_id = ingest_process
    publisher.announce(SITE, METERS)
    now = int(time.time())
    series = [(now - (READINGS - i) * 60, round(100 + i * 0.25, 3)) for i in range(READINGS)]
    publisher.readings(LOBBY, series)
    wait_for(lambda: metric(port, "kilowatch_ingest_received_messages_total") == READINGS + 1, what="all received")
    assert metric(port, "kilowatch_ingest_stored_readings_total") == 0  # nothing written before the signal

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=30) == 0
    with sqlite3.connect(tmp_path / "series.sqlite") as db:
        rows = db.execute("SELECT ts, register, energy FROM energy WHERE meter_id = ? ORDER BY ts", (LOBBY,)).fetchall()
    assert [(ts, register) for ts, register, _ in rows] == series
    assert sum(energy for *_, energy in rows) == pytest.approx(series[-1][1] - series[0][1])
    assert no_redelivery(mosquitto, publisher.prefix, client_id, publisher) == []
