"""The test rig: `kilowatch ingest` processes, the store and dead letters they write, one per test."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.db.session import create_db_engine, migrate, session_factory
from core.db.tables import DeadLetterRecord
from core.settings import IngestSettings, MqttSettings, StoreSettings
from core.store.influx_v1 import InfluxV1Store
from ingest import IngestWorker
from tests.faults.publisher import StampingPublisher
from tests.faults.reconcile import Report, check_store
from tests.support import free_port, wait_for

#: Settings every worker under test gets (as KILOWATCH_* variables). Small batches and a
#: short flush keep a few thousand readings moving through many batches, so a kill lands
#: between batches as well as inside one; the stream's fixed dates need a long max age.
WORKER_DEFAULTS = {
    "INGEST__BATCH_SIZE": "200",
    "INGEST__FLUSH_INTERVAL_S": "0.2",
    "INGEST__MAX_AGE_S": str(20 * 365 * 86400),
    "STORE__TIMEOUT_S": "2",
    "LOG_LEVEL": "INFO",
}


def _kilowatch() -> str:
    beside = Path(sys.executable).with_name("kilowatch")
    return str(beside) if beside.exists() else (shutil.which("kilowatch") or "kilowatch")


class IngestProcess:
    """One `kilowatch ingest` subprocess, configured by environment, with its metrics endpoint."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.metrics_port = free_port()
        self._env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> IngestProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [_kilowatch(), "ingest", "--metrics-port", str(self.metrics_port)],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def metrics(self) -> dict[str, float]:
        """Every sample of the worker's Prometheus endpoint, by name with labels."""
        text = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2).text
        samples: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
                samples[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
        return samples

    def metric(self, name: str) -> float:
        return self.metrics().get(name, 0.0)

    @property
    def received(self) -> float:
        return self.metric("kilowatch_ingest_received_messages_total")

    @property
    def stored(self) -> float:
        return self.metric("kilowatch_ingest_stored_readings_total")

    @property
    def pending(self) -> float:
        return self.metric("kilowatch_ingest_pending_readings")

    def wait_received(self, count: int, timeout: float = 30) -> None:
        """Wait until the worker has received ``count`` messages (it is up and subscribed then)."""
        # A dead worker ends the wait at once (wait_for would swallow an exception raised inside).
        wait_for(
            lambda: not self.alive or self.received >= count,
            timeout=timeout,
            interval=0.1,
            what=f"{self.name} receiving {count} messages",
        )
        assert self.alive, f"{self.name} exited with {self.process and self.process.returncode}:\n{self.log_tail()}"

    def kill(self) -> None:
        """SIGKILL: no flush, no acknowledgement, no goodbye to the broker."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM and wait; the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


@dataclass
class Rig:
    """One test's broker, InfluxDB database, registry file and workers (killed at teardown)."""

    mqtt_host: str
    mqtt_port: int
    prefix: str
    influx_url: str
    database: str
    workdir: Path
    processes: list[IngestProcess] = field(default_factory=list)
    publishers: list[StampingPublisher] = field(default_factory=list)
    _store: InfluxV1Store | None = None
    _in_process: list[tuple[IngestWorker, InfluxV1Store, Engine]] = field(default_factory=list)

    @property
    def registry_url(self) -> str:
        return f"sqlite:///{self.workdir / 'kilowatch.db'}"

    def env(self, client_id: str, shared_group: str = "", **settings: str) -> dict[str, str]:
        """The environment of a worker: ours, without any KILOWATCH_* of the caller's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KILOWATCH_")}
        values = {
            "DATA_DIR": str(self.workdir),
            "MQTT__HOST": self.mqtt_host,
            "MQTT__PORT": str(self.mqtt_port),
            "MQTT__TOPIC_PREFIX": self.prefix,
            "MQTT__CLIENT_ID": client_id,
            "MQTT__SHARED_GROUP": shared_group,
            "STORE__BACKEND": "influx1",
            "STORE__URL": self.influx_url,
            "STORE__DATABASE": self.database,
            "DATABASE__URL": self.registry_url,
            **WORKER_DEFAULTS,
            **{k.upper(): v for k, v in settings.items()},
        }
        env.update({f"KILOWATCH_{k}": v for k, v in values.items()})
        return env

    def worker(
        self, name: str = "worker", client_id: str | None = None, shared_group: str = "", **settings: str
    ) -> IngestProcess:
        """Start a worker process (not yet waited for); the client id defaults to one per test."""
        client = client_id or f"ingest-{self.database}"
        process = IngestProcess(name, self.env(client, shared_group, **settings), self.workdir / f"{name}.log").start()
        self.processes.append(process)
        return process

    def in_process(self, client_id: str | None = None, **options: object) -> IngestWorker:
        """An IngestWorker in this process on the rig's broker, store and registry, started and
        subscribed; ``options`` are its keyword-only constructor arguments (spool, budgets)."""
        mqtt = MqttSettings(
            host=self.mqtt_host, port=self.mqtt_port, topic_prefix=self.prefix, client_id=client_id or f"ingest-{self.database}"
        )
        ingest = IngestSettings(
            batch_size=int(WORKER_DEFAULTS["INGEST__BATCH_SIZE"]),
            flush_interval_s=float(WORKER_DEFAULTS["INGEST__FLUSH_INTERVAL_S"]),
            max_age_s=int(WORKER_DEFAULTS["INGEST__MAX_AGE_S"]),
        )
        store = InfluxV1Store(StoreSettings(backend="influx1", url=self.influx_url, database=self.database, timeout_s=2))
        engine = create_db_engine(self.registry_url)
        migrate(engine)
        worker = IngestWorker(mqtt, ingest, store, session_factory(engine), **options)
        self._in_process.append((worker, store, engine))
        worker.start()
        assert worker.wait_until_subscribed(15), "in-process worker did not subscribe"
        return worker

    def publisher(self) -> StampingPublisher:
        publisher = StampingPublisher(self.mqtt_host, self.mqtt_port, self.prefix)
        self.publishers.append(publisher)
        return publisher

    @property
    def store(self) -> InfluxV1Store:
        if self._store is None:
            self._store = InfluxV1Store(StoreSettings(backend="influx1", url=self.influx_url, database=self.database))
        return self._store

    def dead_letter_rows(self) -> list[tuple[str, str]]:
        """Every dead-letter row as (kind column, reason)."""
        engine = create_db_engine(self.registry_url)
        try:
            sessions: sessionmaker[Session] = session_factory(engine)
            with sessions() as session:
                return [(row.kind, row.reason) for row in session.scalars(select(DeadLetterRecord))]
        finally:
            engine.dispose()

    def dead_letter_kinds(self) -> Counter[str]:
        """Dead-letter rows by kind: the ``kind`` column, or the reason's "kind: detail" prefix when it is empty."""
        return Counter(kind or reason.split(":", 1)[0] for kind, reason in self.dead_letter_rows())

    def settle(self, publisher: StampingPublisher, timeout: float = 90) -> Report:
        """Once the publisher is done, wait until nothing it published is missing; the full report."""
        publisher.join(timeout)
        stamps = publisher.stamps

        def complete() -> Report | None:
            report = check_store(self.store, stamps)
            return report if not report.lost else None

        try:
            return wait_for(complete, timeout=timeout, interval=0.5, what="every published reading stored")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{check_store(self.store, stamps).summary()}\n{self.logs()}") from None

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.log_tail()}" for p in self.processes)

    def close(self) -> None:
        for publisher in self.publishers:
            publisher.close()
        for process in self.processes:
            if process.alive:
                process.kill()
        for worker, store, engine in self._in_process:
            worker.stop(timeout=5)
            store.close()
            engine.dispose()
        if self._store is not None:
            self._store.close()
