"""A writer process: the writer half of an ``IngestWorker`` fed by a pipe instead of MQTT.

It receives raw messages of its sites from the network process, decodes them, and runs the
same buffer, ``BatchWriter`` and ``PoisonGuard`` as a single-process worker (its own store
connection, registry cache, spool and dead-letter file). Acknowledging means telling the
network process which messages are written or spooled; only then does that process send
the PUBACKs.

Pipe protocol. In: a list of raw messages ``(topic bytes, payload, mid, qos, connection,
received_at, arrived)``, ``"flush"``, or ``None`` (end of input: drain, acknowledge, exit).
Out: ``("acked", [(mid, qos, connection, arrived), ...], report)``, ``("report", report)``,
``("failed", reason)``. End of input (or a vanished network process) drains and exits 0;
a writer failure exits 1 after saying so.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from core.settings import IngestSettings, MqttSettings
from core.store.base import SeriesStore
from ingest.buffer import InboundMessage
from ingest.dispatch import Owns
from ingest.heap import settle
from ingest.metrics import writer_report
from ingest.worker import IngestWorker, WorkerOptions, inbound

log = logging.getLogger(__name__)

#: Seconds between counter reports while no batch is acknowledged (replays, idle).
REPORT_S = 0.5
#: Seconds without input after which what is buffered is written at once rather than at the
#: flush deadline (0.5 s): a burst (a minute's gateway messages, a backlog after a restart)
#: is stored and acknowledged as soon as it ends. The network process hands messages over
#: every few milliseconds while they flow, so a steady stream keeps its full batches; at
#: worst, a trickle of one message per ``QUIET_S`` is written message by message (20 writes/s).
QUIET_S = 0.05


@dataclass(frozen=True)
class WriterSpec:
    """Everything a writer process builds itself from; picklable (factories, not open connections)."""

    index: int
    writers: int
    mqtt: MqttSettings
    settings: IngestSettings
    open_store: Callable[[], SeriesStore]
    open_sessions: Callable[[], sessionmaker[Session]]
    clock: Callable[[], float] = time.time
    options: WorkerOptions = field(default_factory=lambda: WorkerOptions())
    #: Sets up logging in the new process (spawned processes start without any).
    setup_logging: Callable[[], None] | None = None


class WriterSide(IngestWorker):
    """An ``IngestWorker`` without MQTT: messages come from ``inbox``, acknowledgements go to ``outbox``."""

    def __init__(self, spec: WriterSpec, outbox: Connection) -> None:
        super().__init__(spec.mqtt, spec.settings, spec.open_store(), spec.open_sessions(), spec.clock, **spec.options)
        self._owns = Owns(spec.index, spec.writers)
        self._outbox = outbox
        self._send_lock = threading.Lock()
        self._prefix = spec.mqtt.topic_prefix
        self._next_report = 0.0

    def serve(self, inbox: Connection) -> int:
        """Take messages until the end of input or a writer failure; the exit status."""
        self._start_writer()
        settle()  # a process of its own: its start-up, registry cache included, is set aside
        m = self._metrics
        buffered = False  # since the last flush request
        try:
            while not self._failed.is_set():
                if not inbox.poll(QUIET_S if buffered else REPORT_S / 2):
                    if buffered and self._buffer.depth[0]:
                        self._buffer.flush()
                    buffered = False
                    self._report()
                    continue
                try:
                    item = inbox.recv()
                except (EOFError, OSError):
                    # Nothing can be acknowledged any more: stop at once rather than wait on
                    # a store that may be away; the broker redelivers all of it anyway.
                    log.warning("the network process is gone; stopping")
                    self._abort.set()
                    break
                if item is None:
                    break
                if item == "flush":
                    self._buffer.flush()
                    buffered = False
                    continue
                prefix = self._prefix
                for topic, payload, mid, qos, connection, received_at, arrived in item:
                    message = inbound(topic, payload, prefix, mid, qos, connection, received_at, arrived)
                    m.received += 1
                    readings = len(message.decoded.readings)
                    m.received_readings += readings
                    if not self._buffer.put(message):
                        m.received_readings -= readings
                buffered = True
        finally:
            self._buffer.close()
            assert self._writer is not None
            self._writer.join()
            self._store.close()  # bumps the reading versions still pending (core.db.versioned_store)
        if self.error is not None:
            self._send(("failed", f"{type(self.error).__name__}: {self.error}"))
            return 1
        self._send(("report", writer_report(m)))
        return 0

    def _ack(self, batch: list[InboundMessage]) -> None:
        self._metrics.acked += len(batch)
        self._next_report = time.monotonic() + REPORT_S
        self._send(("acked", [(m.mid, m.qos, m.connection, m.arrived) for m in batch], writer_report(self._metrics)))

    def _report(self) -> None:
        if time.monotonic() >= self._next_report:
            self._next_report = time.monotonic() + REPORT_S
            try:
                report = writer_report(self._metrics)
            except RuntimeError:
                return  # a counter dict grew under us (the writer thread owns them): next time
            self._send(("report", report))

    def _send(self, what: object) -> None:
        with self._send_lock:
            try:
                self._outbox.send(what)
            except (OSError, ValueError):
                pass  # the network process is gone: nothing can be acknowledged any more


def main(spec: WriterSpec, inbox: Connection, outbox: Connection) -> None:
    """The writer process's entry point (``multiprocessing`` spawn target)."""
    # The network process decides when to stop (it drains its writers first); a Ctrl-C sent
    # to the whole process group must not kill a writer mid-batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if spec.setup_logging is not None:
        spec.setup_logging()
    try:
        side = WriterSide(spec, outbox)
    except Exception as exc:
        log.exception("writer process %d could not start", spec.index)
        outbox.send(("failed", f"could not start: {type(exc).__name__}: {exc}"))
        raise SystemExit(1) from None
    try:
        status = side.serve(inbox)
    except Exception as exc:
        log.exception("writer process %d failed", spec.index)
        side._send(("failed", f"{type(exc).__name__}: {exc}"))
        status = 1
    raise SystemExit(status)


def writer_paths(base: Path | str | None, index: int, writers: int) -> Path | None:
    """A writer process's own spool or dead-letter directory (the base itself for one writer)."""
    if base is None:
        return None
    return Path(base) if writers == 1 else Path(base) / f"writer-{index}"
