"""The ingest worker: MQTT in, store out, acknowledging only what has been written.

Lifecycle: ``start()`` once, then ``stop()`` once (a stopped worker is not restarted; build
a new one). Two threads run in between: paho's network thread, which decodes messages
into a bounded buffer (blocking when it is full), and the writer thread, which turns
batches into points, writes them, records dead letters and only then acknowledges.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from paho.mqtt.client import Client, MQTTMessage
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.settings import IngestSettings, MqttSettings
from core.store.base import SeriesStore, StoreRejected
from core.wire import Decoded, Rejection, decode, reading_topic
from ingest.buffer import InboundMessage, MessageBuffer
from ingest.connection import build_client, connect_async, subscribe
from ingest.deadletter import DeadLetter, RejectionLog, save_dead_letters
from ingest.metrics import IngestMetrics, IngestStats
from ingest.processor import BatchProcessor, Plan, point_payload
from ingest.retry import Aborted, Retrier
from ingest.validation import MeterDirectory

log = logging.getLogger(__name__)

#: Seconds ``stop`` still waits for the writer after giving up on an unavailable store:
#: the retry wakes at once, only a store call already in progress can take longer.
_ABORT_GRACE_S = 5.0


class IngestWorker:
    """Consumes meter readings from MQTT into a ``SeriesStore``; at-least-once, never acks early."""

    def __init__(
        self,
        mqtt: MqttSettings,
        settings: IngestSettings,
        store: SeriesStore,
        sessions: sessionmaker[Session],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._mqtt = mqtt
        self._settings = settings
        self._store = store
        self._sessions = sessions
        self._clock = clock
        self._metrics = IngestMetrics()
        self._buffer = MessageBuffer(settings.batch_size)
        self._abort = threading.Event()
        self._retry = Retrier(self._abort, on_failure=self._metrics.store_error)
        self._directory = MeterDirectory(sessions)
        self._processor = BatchProcessor(settings, store, self._directory, self._metrics, self._retry, clock)
        self._rejection_log = RejectionLog()
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
        self._directory.reload()
        client = build_client(self._mqtt)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client
        self._writer = threading.Thread(target=self._write_loop, name=f"ingest-writer-{self._mqtt.client_id}", daemon=True)
        self._writer.start()
        # Both buffer halves (queued, and the batch being written) may await acknowledgement.
        connect_async(client, self._mqtt, unacked_limit=2 * self._settings.batch_size)
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

    def flush_now(self) -> None:
        """Write what is buffered now instead of at the flush deadline."""
        self._buffer.flush()

    def stop(self, timeout: float = 10) -> None:
        """Stop taking messages, write and acknowledge what was received, then disconnect.

        If the store stays unavailable past ``timeout``, the unwritten messages are left
        unacknowledged: the broker keeps them in the session and redelivers them.
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
        self._metrics.connected()
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
            self._metrics.received()
            inbound = self._inbound(message)
            # Blocks while the buffer is full: backpressure on the broker instead of memory.
            if self._buffer.put(inbound):
                self._metrics.buffered(len(inbound.decoded.readings))
            # else: stopping; left unacknowledged, so the broker redelivers it later.
        except Exception:  # noqa: BLE001 - the network thread must survive; the message stays unacked
            log.exception("failed to buffer a message on %r", message._topic[:200])  # noqa: SLF001 - raw bytes

    def _inbound(self, message: MQTTMessage) -> InboundMessage:
        with self._lock:
            connection = self._connection
        try:
            topic = message.topic
            decoded = decode(topic, message.payload, self._mqtt.topic_prefix)
        except Exception as exc:  # noqa: BLE001 - a poison message is dead-lettered, not retried forever
            topic = repr(message._topic)[:512]  # noqa: SLF001 - the raw topic, which did not decode
            decoded = Decoded([], [Rejection(topic, f"undecodable message: {exc!r}", message.payload[:2048])])
        return InboundMessage(
            topic=topic,
            payload=message.payload,
            decoded=decoded,
            mid=message.mid,
            qos=message.qos,
            connection=connection or 0,
            received_at=int(self._clock()),
            arrived=time.monotonic(),
        )

    # --- writer thread --------------------------------------------------------------

    def _write_loop(self) -> None:
        try:
            while batch := self._buffer.take(self._settings.flush_interval_s):
                self._handle(batch)
        except Aborted as exc:
            log.warning("stopping with %d readings unwritten and unacknowledged: %s", self.stats.pending, exc)
        except BaseException as exc:
            self.error = exc
            self._buffer.close()
            log.exception("ingest writer failed; no further messages are acknowledged")

    def _handle(self, batch: list[InboundMessage]) -> None:
        plan = self._processor.process(batch)
        written = self._write_points(plan)
        for letter in plan.dead_letters:
            self._rejection_log(letter)
        self._save_dead_letters(plan.dead_letters)
        self._metrics.settled(stored=written, readings=sum(len(m.decoded.readings) for m in batch))
        self._ack(batch)

    def _write_points(self, plan: Plan) -> int:
        points = list(plan.points.values())
        if not points:
            return 0
        try:
            self._retry.run("store", lambda: self._store.write(points))
            return len(points)
        except StoreRejected as exc:
            log.error("store refused a batch of %d points (%s); writing them one at a time", len(points), exc)
        written = 0
        for point in points:
            try:
                self._retry.run("store", lambda point=point: self._store.write([point]))
                written += 1
            except StoreRejected as exc:
                topic = reading_topic(point.site_id, point.meter_id, self._mqtt.topic_prefix)
                letter = DeadLetter(topic, "store_rejected", str(exc), point_payload(point), int(self._clock()))
                plan.dead_letters.append(letter)
                self._metrics.rejected("store_rejected")
        return written

    def _save_dead_letters(self, letters: list[DeadLetter]) -> None:
        try:
            self._retry.run("dead-letter table", lambda: save_dead_letters(self._sessions, letters))
        except SQLAlchemyError as exc:
            # Counted and logged already; losing the row beats blocking the meter data.
            log.error("could not record %d dead letters: %s", len(letters), exc)

    def _ack(self, batch: list[InboundMessage]) -> None:
        acked = 0
        # Held while acking so no reconnect can slip between the check and the PUBACK.
        with self._lock:
            for message in batch:
                if message.qos > 0 and message.connection == self._connection:
                    self._client.ack(message.mid, message.qos)  # type: ignore[union-attr]
                    acked += 1
        self._metrics.acked(acked)
