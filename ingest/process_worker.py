"""Ingest on every core: one MQTT connection, each site's messages written by one of N processes.

```text
network process (this)                         writer process i (ingest.writer_process)
  paho: site from the raw topic -> hash -> i     decode, validate, energy (its sites' meters only)
  Outbox i: chunks of raw messages  ---------->  store or spool, dead letters, findings
  collector thread: PUBACK what i reports  <---  ("acked", [message ids], counters)
```

Acknowledgement still waits for the durable write: the network process sends a PUBACK only
for a message its writer reported written, spooled or dead-lettered.

**A writer process that dies** (killed, or a writer failure it reports) ends the whole
ingest: health turns red, the other writers drain and acknowledge what they hold, and
``run_until`` returns 1 so the supervisor (compose, systemd) starts a new process; the dead
writer's messages were never acknowledged, so the broker redelivers them to it. Restarting
only that writer would need the broker to redeliver on a live connection, which MQTT does
not do: the messages would wait for the next reconnect anyway. Trading a short restart of
every writer for that simplicity is the choice here.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Unpack, cast

from paho.mqtt.client import Client, MQTTMessage
from sqlalchemy.orm import Session, sessionmaker

from core.settings import IngestSettings, MqttSettings
from core.store.base import SeriesStore
from ingest.client import puback_all
from ingest.dispatch import Outbox, site_of, widen, writer_of
from ingest.metrics import absorb
from ingest.worker import IngestWorker, WorkerOptions
from ingest.writer_process import WriterSpec, main, writer_paths

log = logging.getLogger(__name__)

#: Seconds an outbox may hold a message before it is sent: short against the flush interval
#: (0.5 s), long enough that a busy outbox fills a chunk first.
OUTBOX_FLUSH_S = 0.005


class WriterProcessFailed(RuntimeError):
    """A writer process died or reported a writer failure: the ingest must be restarted."""


class ProcessWorker(IngestWorker):
    """An ``IngestWorker`` whose writing is spread by site over ``writers`` processes.

    Same lifecycle and surface (``start``, ``stop``, ``run_until``, ``stats``, ``healthy``);
    takes factories instead of a store and sessions, since each process opens its own.
    ``options`` are ``IngestWorker``'s keyword arguments; each writer gets its own
    ``writer-<i>`` spool and dead-letter directory under the given ones.
    """

    def __init__(
        self,
        mqtt: MqttSettings,
        settings: IngestSettings,
        open_store: Callable[[], SeriesStore],
        open_sessions: Callable[[], sessionmaker[Session]],
        clock: Callable[[], float] = time.time,
        *,
        writers: int,
        setup_logging: Callable[[], None] | None = None,
        **options: Unpack[WorkerOptions],
    ) -> None:
        super().__init__(mqtt, settings, None, None, clock, reconcile=options.get("reconcile"))  # type: ignore[arg-type]  # writes nothing itself
        self._writers = writers
        self._prefix = mqtt.topic_prefix.encode()
        self._specs = [
            WriterSpec(i, writers, mqtt, settings, open_store, open_sessions, clock, _options(options, i, writers), setup_logging)
            for i in range(writers)
        ]
        self._processes: list[BaseProcess] = []
        self._outboxes: list[Outbox] = []
        self._reports: list[dict] = [{} for _ in range(writers)]
        self._collector: threading.Thread | None = None
        self._flusher: threading.Thread | None = None

    @property
    def writer_pids(self) -> list[int | None]:
        """Process ids of the writer processes, by writer index."""
        return [p.pid for p in self._processes]

    @property
    def writer_reports(self) -> list[dict]:
        """Each writer process's latest counters (``ingest.metrics.writer_report``), by index."""
        return list(self._reports)

    def start(self) -> None:
        """Start the writer processes, then connect; messages wait in the pipes until a writer is up."""
        if self._client is not None:
            raise RuntimeError("an IngestWorker is started once")
        context = multiprocessing.get_context("spawn")
        readers: dict[Connection, int] = {}
        for spec in self._specs:
            inbox_reader, inbox = context.Pipe(duplex=False)
            reader, outbox = context.Pipe(duplex=False)
            widen(inbox)
            widen(outbox)
            process = context.Process(target=main, args=(spec, inbox_reader, outbox), name=f"ingest-writer-{spec.index}")
            process.start()
            # Only the writer may hold its ends, or its death would never read as end of file.
            inbox_reader.close()
            outbox.close()
            self._processes.append(process)
            self._outboxes.append(Outbox(spec.index, inbox))
            readers[reader] = spec.index
            log.info("writer process %d of %d started (pid %d)", spec.index, self._writers, process.pid)
        self._collector = threading.Thread(target=self._collect, args=(readers,), name="ingest-collector", daemon=True)
        self._collector.start()
        self._flusher = threading.Thread(target=self._flush_loop, name="ingest-outboxes", daemon=True)
        self._flusher.start()
        # Every writer's buffer halves may await acknowledgement, plus what is in the pipes.
        self._connect(unacked_limit=2 * self._settings.batch_size * self._writers)

    def flush_now(self) -> None:
        for outbox in self._outboxes:
            outbox.flush("flush")

    def stop(self, timeout: float = 10) -> None:
        """Stop taking messages; each writer drains, writes (or spools) and reports; then disconnect.

        A writer still busy at ``timeout`` (a store that stays away without a spool) is
        killed: what it held is unacknowledged and the broker redelivers it.
        """
        if self._client is None or self._stopping:
            return
        deadline = time.monotonic() + timeout
        self._stopping = True
        # On a thread: a writer stuck on an unavailable store does not read its pipe, and a
        # send into a full pipe would hold stop past its timeout; killing the writer ends it.
        closer = threading.Thread(target=self._close_outboxes, name="ingest-close", daemon=True)
        closer.start()
        closer.join(max(0.0, deadline - time.monotonic()))
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in self._processes:
            if process.is_alive():
                log.warning(
                    "writer process %s still busy after %.0f s; killing it (its messages stay unacknowledged)",
                    process.pid,
                    timeout,
                )
                process.kill()
                process.join(5)
        if self._collector is not None:
            self._collector.join(5)
        self._client.disconnect()
        self._client.loop_stop()
        log.info("ingest stopped: %s", self.stats)

    def _close_outboxes(self) -> None:
        for outbox in self._outboxes:
            outbox.close()

    # --- network thread -------------------------------------------------------------

    def _on_message(self, _client: Client, _userdata: Any, message: MQTTMessage) -> None:
        """Hand the raw message to its site's writer; never raises (undelivered stays unacknowledged)."""
        try:
            self._metrics.received += 1
            raw = message._topic
            outbox = self._outboxes[writer_of(site_of(raw, self._prefix), self._writers)]
            outbox.add(
                (raw, message.payload, message.mid, message.qos, self._connection or 0, int(self._clock()), time.monotonic())
            )
        except Exception:
            log.exception("failed to dispatch a message on %r", message._topic[:200])

    # --- collector and flusher threads ---------------------------------------------

    def _flush_loop(self) -> None:
        while not self._stopping:
            time.sleep(OUTBOX_FLUSH_S)
            for outbox in self._outboxes:
                outbox.flush()

    def _collect(self, readers: dict[Connection, int]) -> None:
        """Acknowledge what the writers report; a writer that fails or vanishes fails the worker."""
        while readers:
            for reader in cast(list[Connection], wait(list(readers))):
                index = readers[reader]
                try:
                    report = reader.recv()
                except (EOFError, OSError):
                    del readers[reader]
                    process = self._processes[index]
                    process.join(5)
                    # While stopping, a writer that ends is expected (or killed by stop: its
                    # messages stay unacknowledged, as a single process leaves them).
                    if process.exitcode != 0 and not self._stopping:
                        self._writer_failed(index, f"exited with status {process.exitcode}")
                    continue
                kind = report[0]
                if kind == "acked":
                    self._acknowledge(report[1])
                    self._absorb(index, report[2])
                elif kind == "report":
                    self._absorb(index, report[1])
                elif kind == "failed":
                    self._writer_failed(index, report[1])

    def _acknowledge(self, acks: list[tuple[int, int, int, float]]) -> None:
        """Send the PUBACKs of what a writer reports written: ``(mid, qos, connection, arrived)`` each, in one write."""
        now = time.monotonic()
        lag = self._metrics.ack_lag
        pubacks = []
        # Held while acking so no reconnect can slip between the check and the PUBACKs.
        with self._lock:
            connection, client = self._connection, self._client
            assert client is not None  # reports come only once started
            for mid, qos, on, arrived in acks:
                if qos and on == connection:
                    if qos == 1:
                        pubacks.append(mid)
                    else:
                        client.ack(mid, qos)
                        self._metrics.acked += 1
                lag(now - arrived)
            if pubacks:
                puback_all(client, pubacks)
        self._metrics.acked += len(pubacks)

    def _absorb(self, index: int, report: dict) -> None:
        self._reports[index] = report
        absorb(self._metrics, [r for r in self._reports if r])

    def _writer_failed(self, index: int, reason: str) -> None:
        for outbox in self._outboxes:
            if outbox.index == index:
                outbox.open = False
        if self.error is None:
            self.error = WriterProcessFailed(f"writer process {index}: {reason}")
            self._metrics.healthy = False
            log.error("ingest writer failed (writer process %d: %s); its messages stay unacknowledged, stopping", index, reason)
        self._failed.set()


def _options(options: WorkerOptions, index: int, writers: int) -> WorkerOptions:
    """A writer's keyword arguments: its own spool and dead-letter directories."""
    mine = options.copy()
    if "spool_path" in mine:
        mine["spool_path"] = writer_paths(mine["spool_path"], index, writers)
    if "dead_letter_path" in mine:
        mine["dead_letter_path"] = writer_paths(mine["dead_letter_path"], index, writers)
    return mine
