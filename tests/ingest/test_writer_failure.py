"""A writer that dies of an unexpected error turns the worker unhealthy and ends the process.

A store outage is not such an error: it is retried or spooled and the worker stays healthy.
The unexpected error is injected at the store boundary (a store whose ``write`` raises a
``RuntimeError``, as a bug would); the broker and the store underneath are real.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import textwrap
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from core.domain import EnergyPoint
from ingest.metrics import HEALTH_PATH, serve_metrics
from ingest.poison import POISON_KIND
from tests.ingest.conftest import METERS, NOW, SITE, FaultyStore, wait_dead_letters, wait_stored
from tests.ingest.test_shutdown import KILOWATCH, metric, no_redelivery
from tests.support import free_port, wait_for

LOBBY, PUMP = METERS[0].meter_id, METERS[1].meter_id
T0 = NOW - 3600
INJECTED = "injected programming error"
REPO = Path(__file__).resolve().parents[2]


class BuggyStore(FaultyStore):
    """Writes fine, except that any write with a point of ``PUMP`` raises a ``RuntimeError``."""

    def write(self, points: Sequence[EnergyPoint]) -> None:
        if any(p.meter_id == PUMP for p in points):
            raise RuntimeError(INJECTED)
        super().write(points)


def health(port: int) -> int:
    return httpx.get(f"http://127.0.0.1:{port}{HEALTH_PATH}", timeout=2).status_code


@pytest.fixture
def metrics_server():
    servers = []

    def serve(worker) -> int:
        port = free_port()
        servers.append(serve_metrics(port, worker.metrics_registry, addr="127.0.0.1"))
        return port

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_an_unexpected_writer_error_turns_the_health_check_red_and_ends_run_until_with_1(
    start_worker, publisher, store, metrics_server, caplog
):
    worker = start_worker(on_store=BuggyStore(store))
    port = metrics_server(worker)
    publisher.announce(SITE, METERS)
    publisher.reading(LOBBY, T0, 1.0)
    wait_stored(store, LOBBY, 1)
    assert health(port) == 200

    publisher.reading(PUMP, T0, 1.0)

    wait_for(lambda: health(port) == 503, what="the health check turning red")
    assert metric(port, "kilowatch_ingest_healthy") == 0.0
    assert not worker.healthy and isinstance(worker.error, RuntimeError)
    started = time.monotonic()
    assert worker.run_until(threading.Event()) == 1  # no signal needed: the failure ends it
    assert time.monotonic() - started < 5
    failures = [r for r in caplog.records if r.name == "ingest.worker" and "writer failed" in r.getMessage()]
    assert len(failures) == 1 and INJECTED in failures[0].getMessage()


def test_a_store_outage_past_the_retry_budget_keeps_the_worker_healthy_and_running(
    start_worker, publisher, store, metrics_server, tmp_path
):
    faulty = FaultyStore(store)
    worker = start_worker(on_store=faulty, worker_args={"spool_path": tmp_path / "spool", "retry_budget_s": 0.2})
    port = metrics_server(worker)
    publisher.announce(SITE, METERS)
    wait_for(lambda: worker.stats.announcements == 1, what="announcement applied")
    faulty.down.set()
    publisher.reading(LOBBY, T0, 1.0)
    wait_for(lambda: worker.stats.spooled == 1, what="the reading spooled through the outage")

    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    assert worker.run_until(stop) == 0  # it ran until told to stop
    assert health(port) == 200 and worker.healthy and worker.error is None


SITECUSTOMIZE = f"""
    # Injected by {__name__}: the embedded store's write raises for one meter, as a bug would.
    from core.store import embedded

    _write = embedded.EmbeddedStore.write

    def write(self, points):
        if any(p.meter_id == {PUMP!r} for p in points):
            raise RuntimeError({INJECTED!r})
        return _write(self, points)

    embedded.EmbeddedStore.write = write
"""


def test_kilowatch_ingest_exits_1_after_a_writer_failure_keeping_what_it_acknowledged(mosquitto, publisher, tmp_path):
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    port, client_id = free_port(), f"ingest-{uuid.uuid4().hex[:8]}"
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(inject), str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "KILOWATCH_MQTT__HOST": mosquitto.host,
        "KILOWATCH_MQTT__PORT": str(mosquitto.port),
        "KILOWATCH_MQTT__TOPIC_PREFIX": publisher.prefix,
        "KILOWATCH_MQTT__CLIENT_ID": client_id,
        "KILOWATCH_INGEST__FLUSH_INTERVAL_S": "0.05",
    }
    log_path = tmp_path / "ingest.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(KILOWATCH), "--data-dir", str(tmp_path), "ingest", "--metrics-port", str(port)], env=env, stdout=log, stderr=log
        )
    try:
        wait_for(lambda: metric(port, "kilowatch_ingest_connections_total") >= 1, timeout=30, what="ingest connected")
        publisher.announce(SITE, METERS)
        now = int(time.time())
        lobby = [(now - 3600 + i * 60, 100.0 + i) for i in range(5)]
        publisher.readings(LOBBY, lobby)
        wait_for(lambda: metric(port, "kilowatch_ingest_acked_messages_total") == 6, what="the good readings acknowledged")

        pump = f'{{"v": 1, "ts": {now - 60}, "register": 7.0}}'.encode()
        publisher.raw(f"{publisher.prefix}/{SITE.site_id}/{PUMP}/reading", pump)

        assert process.wait(timeout=30) == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log_text = log_path.read_text()
    assert log_text.count("writer failed") == 1 and INJECTED in log_text
    with sqlite3.connect(tmp_path / "series.sqlite") as db:
        rows = db.execute("SELECT ts, register FROM energy WHERE meter_id = ? ORDER BY ts", (LOBBY,)).fetchall()
    assert rows == lobby  # acknowledged before the failure: stored
    # Unacknowledged: still in the broker session, delivered to the next process.
    assert no_redelivery(mosquitto, publisher.prefix, client_id, publisher) == [pump]


def test_a_poison_message_in_a_batch_is_set_apart_and_the_rest_stored(start_worker, publisher, store, sessions, tmp_path):
    # A long flush interval puts the three messages in one batch: the writer fails on it,
    # retries them one by one, stores the lobby's two and dead-letters the pump's alone.
    worker = start_worker(on_store=BuggyStore(store), flush_interval_s=1.5, worker_args={"dead_letter_path": tmp_path})
    publisher.announce(SITE, METERS)
    wait_for(lambda: worker.stats.announcements == 1, what="announcement applied")
    publisher.reading(LOBBY, T0, 1.0)
    publisher.reading(PUMP, T0, 5.0)
    publisher.reading(LOBBY, T0 + 60, 2.0)

    assert [p.ts for p in wait_stored(store, LOBBY, 2)] == [T0, T0 + 60]
    [letter] = wait_dead_letters(sessions, 1)
    assert letter.kind == POISON_KIND and INJECTED in letter.reason and PUMP in letter.topic
    assert worker.healthy and worker.error is None
    wait_for(lambda: worker.stats.acked == 4, what="every message acknowledged")  # the announcement too
    assert worker.stats.rejected[POISON_KIND] == 1
    publisher.reading(LOBBY, T0 + 120, 3.0)
    wait_stored(store, LOBBY, 3)  # it goes on


def test_a_lone_poison_message_ends_one_process_and_is_set_apart_by_the_next(mosquitto, publisher, tmp_path):
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    client_id = f"ingest-{uuid.uuid4().hex[:8]}"
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(inject), str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "KILOWATCH_MQTT__HOST": mosquitto.host,
        "KILOWATCH_MQTT__PORT": str(mosquitto.port),
        "KILOWATCH_MQTT__TOPIC_PREFIX": publisher.prefix,
        "KILOWATCH_MQTT__CLIENT_ID": client_id,
        "KILOWATCH_INGEST__FLUSH_INTERVAL_S": "0.05",
    }
    processes = []

    def start(n: int) -> tuple[subprocess.Popen, int]:
        port = free_port()
        with (tmp_path / f"ingest-{n}.log").open("wb") as log:
            process = subprocess.Popen(
                [str(KILOWATCH), "--data-dir", str(tmp_path), "ingest", "--metrics-port", str(port)],
                env=env,
                stdout=log,
                stderr=log,
            )
        processes.append(process)
        wait_for(lambda: metric(port, "kilowatch_ingest_connections_total") >= 1, timeout=30, what="ingest connected")
        return process, port

    try:
        first, port = start(1)
        publisher.announce(SITE, METERS)
        wait_for(lambda: metric(port, "kilowatch_ingest_acked_messages_total") == 1, what="the announcement acknowledged")
        now = int(time.time())
        pump = f'{{"v": 1, "ts": {now - 60}, "register": 7.0}}'.encode()
        publisher.raw(f"{publisher.prefix}/{SITE.site_id}/{PUMP}/reading", pump)
        assert first.wait(timeout=30) == 1  # alone, it cannot be told from a broken writer

        second, port = start(2)  # the broker redelivers the pump's message to it
        wait_for(
            lambda: metric(port, f'kilowatch_ingest_rejected_total{{reason="{POISON_KIND}"}}') == 1,
            timeout=30,
            what="the poison message set apart",
        )
        publisher.reading(LOBBY, now - 30, 100.0)
        wait_for(lambda: metric(port, "kilowatch_ingest_stored_readings_total") >= 1, what="a later reading stored")
        assert second.poll() is None and health(port) == 200
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)
    with sqlite3.connect(tmp_path / "kilowatch.db") as db:
        letters = db.execute("SELECT kind, topic, payload FROM dead_letters").fetchall()
    assert letters == [(POISON_KIND, f"{publisher.prefix}/{SITE.site_id}/{PUMP}/reading", pump)]
    assert no_redelivery(mosquitto, publisher.prefix, client_id, publisher) == []
