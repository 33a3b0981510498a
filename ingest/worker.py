"""The ingest worker: MQTT in, store out, acknowledging only what has been written.

Lifecycle: ``start()`` once, then ``stop()`` once (a stopped worker is not restarted; build
a new one). Two threads run in between: paho's network thread, which decodes messages
into a bounded buffer (blocking when it is full), and the writer thread, which turns
batches into points, writes them (or spools them while the store is away, see
``ingest.writer``), records dead letters and findings, and only then acknowledges.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict, cast

from paho.mqtt.client import Client, MQTTMessage
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from core.settings import IngestSettings, MqttSettings
from core.store.base import SeriesStore
from core.wire import Decoded, Rejection, decode
from ingest.buffer import InboundMessage, MessageBuffer
from ingest.connection import build_client, connect_async, is_mqtt5, subscribe
from ingest.deadletter import MAX_STORED_PAYLOAD
from ingest.deadletter_file import DeadLetterFile
from ingest.metrics import IngestMetrics, IngestStats
from ingest.poison import PoisonGuard, Suspects
from ingest.reconcile import LATE_WRITE_S
from ingest.retry import Aborted, Retrier
from ingest.spool import Spool
from ingest.staleness import DEFAULT_INTERVALS, StaleWatch
from ingest.validation import MeterDirectory
from ingest.writer import BatchWriter

log = logging.getLogger(__name__)

#: Seconds ``stop`` still waits for the writer after giving up on an unavailable store:
#: the retry wakes at once, only a store call already in progress can take longer.
_ABORT_GRACE_S = 5.0
#: Default seconds a store outage may last before batches go to the spool: long enough to
#: ride out an InfluxDB restart without touching the disk, short enough that the broker
#: does not hold a minute of messages unacknowledged.
RETRY_BUDGET_S = 30.0
#: Default bound of the spool: about 10 million readings, hours of a national portfolio.
SPOOL_MAX_BYTES = 1024 * 1024 * 1024
#: Seconds the writer waits for messages before it does its periodic work anyway
#: (replaying the spool, stale-meter checks, saving findings).
_IDLE_S = 0.2


class WorkerOptions(TypedDict, total=False):
    """``IngestWorker``'s keyword options, as the CLI and ``ProcessWorker`` hand them on."""

    spool_path: Path | str | None
    dead_letter_path: Path | str | None
    spool_max_bytes: int
    retry_budget_s: float
    stale_after_intervals: int
    stale_check_s: float
    reconcile: bool | None
    late_write_s: float


class IngestWorker:
    """Consumes meter readings from MQTT into a ``SeriesStore``; at-least-once, never acks early."""

    def __init__(
        self,
        mqtt: MqttSettings,
        settings: IngestSettings,
        store: SeriesStore,
        sessions: sessionmaker[Session],
        clock: Callable[[], float] = time.time,
        *,
        spool_path: Path | str | None = None,
        dead_letter_path: Path | str | None = None,
        spool_max_bytes: int = SPOOL_MAX_BYTES,
        retry_budget_s: float = RETRY_BUDGET_S,
        stale_after_intervals: int = DEFAULT_INTERVALS,
        stale_check_s: float = 30.0,
        reconcile: bool | None = None,
        late_write_s: float = LATE_WRITE_S,
    ) -> None:
        """``spool_path``: where to spool while the store is away (None: hold messages
        unacknowledged instead). ``dead_letter_path``: directory of the file that keeps dead
        letters while the database is away (None: such dead letters are only counted and
        logged). ``reconcile``: check energies against the store after
        writing (default: when the worker is in an MQTT 5 shared subscription group).
        ``late_write_s``: how long a failed store write may take to land (``ingest.reconcile``)."""
        self._mqtt = mqtt
        self._settings = settings
        self._store = store
        self._sessions = sessions
        self._clock = clock
        self._metrics = IngestMetrics()
        self._metrics.clock = clock
        self._buffer = MessageBuffer(settings.batch_size, settings.buffer_max_mb * 1024 * 1024)
        self._metrics.queue_messages = lambda: self._buffer.depth[0]
        self._metrics.queue_readings = lambda: self._buffer.depth[1]
        self._metrics.queue_bytes = lambda: self._buffer.bytes
        self._abort = threading.Event()
        self._retry = Retrier(self._abort, on_failure=self._metrics.store_error)
        self._directory = MeterDirectory(sessions)
        self._spool_path = Path(spool_path) if spool_path is not None else None
        self._spool_max_bytes = spool_max_bytes
        self._letters = DeadLetterFile(Path(dead_letter_path)) if dead_letter_path is not None else None
        self._suspects = Suspects(Path(dead_letter_path) if dead_letter_path is not None else None)
        self._shared = bool(mqtt.shared_group) and is_mqtt5(mqtt) if reconcile is None else reconcile
        self._retry_budget_s = retry_budget_s
        self._stale = StaleWatch(stale_after_intervals)
        self._stale_check_s = stale_check_s
        self._late_write_s = late_write_s
        #: Whether a site is this worker's to write (None: every site; a writer process holds some).
        self._owns: Callable[[str], bool] | None = None
        self._batches: BatchWriter | None = None
        self._guard: PoisonGuard | None = None
        self._client: Client | None = None
        self._writer: threading.Thread | None = None
        # Message ids are only meaningful on the connection they arrived on; acks for an
        # earlier connection are skipped (the broker redelivers those messages).
        self._lock = threading.Lock()
        self._connection: int | None = None
        self._connections = 0
        self._subscribe_mid: int | None = None
        self._subscribed = threading.Event()
        self._stopping = False
        #: The programming error that stopped the writer, if one did (None while healthy).
        self.error: BaseException | None = None
        self._failed = threading.Event()

    @property
    def stats(self) -> IngestStats:
        return self._metrics.snapshot()

    @property
    def metrics_registry(self) -> CollectorRegistry:
        return self._metrics.registry

    def start(self) -> None:
        """Load the registry, start the writer and connect (reconnecting on its own from then on)."""
        if self._client is not None:
            raise RuntimeError("an IngestWorker is started once")
        self._start_writer()
        self._connect(unacked_limit=2 * self._settings.batch_size)

    def _start_writer(self) -> None:
        """Load the registry and start the writer thread (the half a writer process runs too)."""
        self._directory.reload()
        spool = None
        if self._spool_path is not None:
            spool = Spool(self._spool_path, self._spool_max_bytes)
            self._metrics.spool_bytes = lambda: spool.size
        self._batches = BatchWriter(
            settings=self._settings,
            store=self._store,
            directory=self._directory,
            sessions=self._sessions,
            metrics=self._metrics,
            retry=self._retry,
            abort=self._abort,
            clock=self._clock,
            prefix=self._mqtt.topic_prefix,
            spool=spool,
            letters=self._letters,
            retry_budget_s=self._retry_budget_s,
            shared=self._shared,
            stale=self._stale,
            stale_check_s=self._stale_check_s,
            late_write_s=self._late_write_s,
            owns=self._owns,
        )
        self._guard = PoisonGuard(self._batches.handle, self._batches.dead_letter, self._suspects, self._clock)
        self._writer = threading.Thread(target=self._write_loop, name=f"ingest-writer-{self._mqtt.client_id}", daemon=True)
        self._writer.start()

    def _connect(self, unacked_limit: int) -> None:
        """Build the client and start connecting; ``unacked_limit``: messages that may await acknowledgement."""
        client = build_client(self._mqtt)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client
        # Both buffer halves (queued, and the batch being written) may await acknowledgement.
        connect_async(client, self._mqtt, unacked_limit=unacked_limit)
        client.loop_start()
        log.info(
            "ingest connecting to %s:%d as %r (MQTT %s, QoS %d)",
            self._mqtt.host,
            self._mqtt.port,
            self._mqtt.client_id,
            self._mqtt.protocol,
            self._mqtt.qos,
        )

    def wait_until_subscribed(self, timeout: float | None = None) -> bool:
        """True once the broker confirmed the subscriptions of the current connection."""
        return self._subscribed.wait(timeout)

    @property
    def healthy(self) -> bool:
        """False once the writer died of an unexpected error (``error``): the worker must be replaced."""
        return self._metrics.healthy

    def run_until(self, stop: threading.Event, poll_s: float = 0.5) -> int:
        """Run until ``stop`` is set or the writer fails, then ``stop()``; the exit status (0 or 1).

        A failed writer acknowledges nothing more, so the process must go: what was
        acknowledged is stored or spooled, the rest stays in the broker session for the
        next process (started again by compose or systemd on the non-zero status).
        """
        while not self._failed.is_set() and not stop.wait(poll_s):
            pass
        if self._failed.is_set():
            log.error("stopping after the writer failure; exiting with status 1 so the ingest is restarted")
        else:
            log.info("stopping: writing or spooling what was received")
        self.stop()
        return 1 if self.error is not None else 0

    def flush_now(self) -> None:
        """Write what is buffered now instead of at the flush deadline."""
        self._buffer.flush()

    def stop(self, timeout: float = 10) -> None:
        """Stop taking messages, write or spool and acknowledge what was received, then disconnect.

        If the store stays unavailable past ``timeout``, the unwritten messages are spooled;
        without a spool (or with a full one) they are left unacknowledged: the broker keeps
        them in the session and redelivers them.
        """
        if self._client is None or self._writer is None or self._stopping:
            return
        deadline = time.monotonic() + timeout
        self._stopping = True
        self._buffer.close()
        self._writer.join(max(0.0, deadline - time.monotonic()))
        if self._writer.is_alive():
            self._abort.set()
            self._writer.join(_ABORT_GRACE_S)
        # Queued PUBACKs leave before the DISCONNECT: paho sends packets in order.
        self._client.disconnect()
        self._client.loop_stop()
        log.info("ingest stopped: %s", self.stats)

    def __enter__(self) -> IngestWorker:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- network thread -------------------------------------------------------------

    def _on_connect(self, client: Client, _userdata: Any, flags: Any, reason_code: Any, _properties: Any) -> None:
        if reason_code.is_failure:
            log.error("broker refused the connection: %s", reason_code)
            return
        with self._lock:
            self._connections += 1
            self._connection = self._connections
        self._metrics.connections += 1
        log.info("connected to the broker (session present: %s)", flags.session_present)
        # Subscribing again on a resumed session is harmless and covers an expired one.
        self._subscribe_mid = subscribe(client, self._mqtt)

    def _on_subscribe(self, _client: Client, _userdata: Any, mid: int, reason_codes: list, _properties: Any) -> None:
        if mid != self._subscribe_mid:
            return
        refused = [str(rc) for rc in reason_codes if rc.is_failure]
        if refused:
            log.error("broker refused subscriptions: %s", ", ".join(refused))
            return
        self._subscribed.set()

    def _on_disconnect(self, _client: Client, _userdata: Any, _flags: Any, reason_code: Any, _properties: Any) -> None:
        with self._lock:
            self._connection = None
        self._subscribed.clear()
        if not self._stopping:
            log.warning("lost the broker connection (%s); reconnecting", reason_code)

    def _on_message(self, _client: Client, _userdata: Any, message: MQTTMessage) -> None:
        """Decode and buffer; never raises (a message that breaks decoding is dead-lettered)."""
        try:
            self._metrics.received += 1
            inbound = self._inbound(message)
            # Counted before it is put: the writer may settle it before put() returns.
            readings = len(inbound.decoded.readings)
            self._metrics.received_readings += readings
            # Blocks while the buffer is full: backpressure on the broker instead of memory.
            if not self._buffer.put(inbound):
                self._metrics.received_readings -= readings
            # else: stopping; left unacknowledged, so the broker redelivers it later.
        except Exception:  # the network thread must survive; the message stays unacked
            log.exception("failed to buffer a message on %r", message._topic[:200])  # raw bytes

    def _inbound(self, message: MQTTMessage) -> InboundMessage:
        # Only this (the network) thread changes the connection: no lock needed to read it.
        connection = self._connection
        return inbound(
            message._topic,
            cast(bytes, message.payload),
            self._mqtt.topic_prefix,
            message.mid,
            message.qos,
            connection or 0,
            int(self._clock()),
            time.monotonic(),
        )

    # --- writer thread --------------------------------------------------------------

    def _write_loop(self) -> None:
        batches, guard = self._batches, self._guard
        assert batches is not None and guard is not None
        try:
            batches.start_up()
            while True:
                batch = self._buffer.take(self._settings.flush_interval_s, idle_timeout=_IDLE_S)
                if batch:
                    if not guard.handle(batch):
                        log.warning(
                            "stopping with %d readings neither stored nor spooled; left unacknowledged", self.stats.pending
                        )
                        return
                    self._metrics.settled_readings += sum(len(m.decoded.readings) for m in batch)
                    self._ack(batch)
                elif self._buffer.drained:
                    break
                batches.periodic()
        except Aborted as exc:
            log.warning("stopping with %d readings unwritten and unacknowledged: %s", self.stats.pending, exc)
        except BaseException as exc:
            # Not an outage (those are retried or spooled above) nor a poison message (set
            # apart by the guard) but a broken writer: stop taking messages, turn unhealthy,
            # let run_until exit.
            self.error = exc
            self._metrics.healthy = False
            self._buffer.close()
            log.exception("ingest writer failed (%s: %s); no further messages are acknowledged", type(exc).__name__, exc)
        finally:
            try:
                batches.shut_down()
            finally:
                if self.error is not None:
                    self._failed.set()

    def _ack(self, batch: list[InboundMessage]) -> None:
        acked = 0
        now = time.monotonic()
        lag = self._metrics.ack_lag
        # Held while acking so no reconnect can slip between the check and the PUBACK.
        with self._lock:
            connection, client = self._connection, self._client
            for message in batch:
                if client is not None and message.qos > 0 and message.connection == connection:
                    client.ack(message.mid, message.qos)
                    acked += 1
                lag(now - message.arrived)
        self._metrics.acked += acked


def inbound(
    raw_topic: bytes, payload: bytes, prefix: str, mid: int, qos: int, connection: int, received_at: int, arrived: float
) -> InboundMessage:
    """Decode one received message; never raises (what does not decode becomes a rejection)."""
    try:
        topic = raw_topic.decode("utf-8")
        decoded = decode(topic, payload, prefix)
    except Exception as exc:
        topic = repr(raw_topic)[:512]
        decoded = Decoded([], [Rejection(topic, f"undecodable message: {exc!r}", payload[:MAX_STORED_PAYLOAD])])
    return InboundMessage(
        topic=topic,
        # Only a dead letter reads the payload, and it keeps no more than this: holding
        # all of a 250 kB message until its batch is written would cost 250 kB for nothing.
        payload=payload[:MAX_STORED_PAYLOAD],
        decoded=decoded,
        mid=mid,
        qos=qos,
        connection=connection,
        received_at=received_at,
        arrived=arrived,
        size=len(payload),
    )
