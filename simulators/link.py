"""A QoS 1 MQTT publishing link driven from the caller's thread, counting PUBACKs and recovering lost connections."""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
import uuid

import paho.mqtt.client as mqtt_client

from core.settings import MqttSettings
from core.tls import client_context, explain

log = logging.getLogger(__name__)

#: Messages paho keeps unacknowledged on the wire. High keeps a backfill fast over a
#: link with latency (200 messages per round trip instead of one); the price is that
#: up to this many are re-sent after a dropped connection, and paho scans its in-flight
#: table on every PUBACK, so thousands cost more CPU than they gain.
MAX_INFLIGHT = 200
#: Messages handed to paho but not yet acknowledged before publishing blocks to read
#: PUBACKs. Bounds memory during a year-long backfill; equal to MAX_INFLIGHT so paho
#: never holds a queue of its own behind the in-flight window.
MAX_PENDING = MAX_INFLIGHT
#: Seconds without a single PUBACK after which the broker is declared gone (retryable).
ACK_TIMEOUT_S = 60.0
#: Seconds to wait for the broker's CONNACK.
CONNECT_TIMEOUT_S = 10.0
#: Seconds between keepalive pings: short enough to notice a dead broker within a minute,
#: long enough to cost nothing while a paced run idles between steps.
_KEEPALIVE_S = 30


class Link:
    """A paho client driven from the publishing thread, counting PUBACKs as they arrive.

    No network thread: paho then writes each message straight to the socket, and
    the caller pumps the loop to read acknowledgements. With ``loop_start`` every
    publish would wake the network thread through a socket pair and the two
    threads fight over paho's locks, which is several times slower.
    """

    def __init__(self, settings: MqttSettings, stop: threading.Event) -> None:
        self._settings = settings
        self._stop = stop
        explicit_v5 = "protocol" in settings.model_fields_set and settings.protocol == "5"
        # MQTT 3.1.1 unless asked for 5: every broker in the field speaks 3.1.1.
        self._protocol = mqtt_client.MQTTv5 if explicit_v5 else mqtt_client.MQTTv311
        # Never the ingest's default client id: a duplicate id makes the broker drop the other client.
        client_id = settings.client_id
        if not client_id or client_id == MqttSettings.model_fields["client_id"].default:
            client_id = f"kilowatch-sim-{uuid.uuid4().hex[:10]}"
        self.client = mqtt_client.Client(
            mqtt_client.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=self._protocol,
            clean_session=None if explicit_v5 else True,
        )
        if settings.username:
            password = settings.password.get_secret_value() if settings.password else None
            self.client.username_pw_set(settings.username, password)
        context = client_context(settings)
        if context is not None:
            self.client.tls_set_context(context)
        self.client.max_inflight_messages_set(MAX_INFLIGHT)
        self.client.max_queued_messages_set(0)  # unbounded inside paho; MAX_PENDING bounds it
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self._connected = False
        self._connack_error: str | None = None
        self.sent = 0
        self.acked = 0
        self.rejected = 0

    # Callbacks must never raise: a failure is logged and the run carries on.
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            if reason_code.is_failure:
                self._connack_error = str(reason_code)
            else:
                self._connected = True
        except Exception:  # an exception here would abort paho's loop
            log.exception("on_connect failed")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            self._connected = False
            if reason_code.is_failure:
                log.warning("simulator lost the broker: %s", reason_code)
        except Exception:
            log.exception("on_disconnect failed")

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        try:
            self.acked += 1
            if reason_code is not None and reason_code.is_failure:
                self.rejected += 1
        except Exception:
            log.exception("on_publish failed")

    def _await_connack(self) -> None:
        s = self._settings
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while not self._connected and self._connack_error is None:
            if time.monotonic() > deadline:
                raise ConnectionError(f"no CONNACK from {s.host}:{s.port} within {CONNECT_TIMEOUT_S}s")
            if self.client.loop(0.1) != mqtt_client.MQTT_ERR_SUCCESS:
                raise ConnectionError(f"connection to {s.host}:{s.port} closed before CONNACK")
        if self._connack_error:
            raise ConnectionError(f"broker {s.host}:{s.port} refused the connection: {self._connack_error}")

    def connect(self) -> None:
        s = self._settings
        # A clean start each time (MQTT 5); MQTT 3 takes only the default (its clean_session is set on the client).
        v5 = self._protocol == mqtt_client.MQTTv5
        clean_start: mqtt_client.CleanStartOption = True if v5 else mqtt_client.MQTT_CLEAN_START_FIRST_ONLY
        try:
            self.client.connect(s.host, s.port, keepalive=_KEEPALIVE_S, clean_start=clean_start)
        except ssl.SSLError as exc:
            raise ConnectionError(explain(exc, s.host, s.port)) from exc
        self._await_connack()

    def _reconnect(self) -> None:
        """Reconnect with backoff; paho re-sends the unacknowledged messages after CONNACK."""
        deadline = time.monotonic() + ACK_TIMEOUT_S
        delay = 0.25
        while True:
            try:
                self.client.reconnect()
                self._await_connack()
                log.info("simulator reconnected; re-sending %d unacknowledged", self.sent - self.acked)
                return
            except (OSError, ConnectionError) as exc:
                if time.monotonic() + delay > deadline:
                    raise ConnectionError(f"broker unreachable for {ACK_TIMEOUT_S}s: {exc}") from exc
            self._stop.wait(delay)
            delay = min(2 * delay, 5.0)

    def pump(self, timeout: float = 0.0) -> None:
        """Read acknowledgements (waiting up to ``timeout``), send keepalives, recover a lost link."""
        if self.client.loop(timeout) != mqtt_client.MQTT_ERR_SUCCESS:
            self._reconnect()

    def _wait_pending_at_most(self, limit: int) -> None:
        progress_at = time.monotonic()
        before = self.acked
        while self.sent - self.acked > limit:
            self.pump(0.1)
            if self.acked != before:
                before, progress_at = self.acked, time.monotonic()
            elif time.monotonic() - progress_at > ACK_TIMEOUT_S:
                raise TimeoutError(f"no PUBACK for {ACK_TIMEOUT_S}s with {self.sent - self.acked} pending")

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self._wait_pending_at_most(MAX_PENDING - 1)
        self.sent += 1
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if info.rc in (mqtt_client.MQTT_ERR_NO_CONN, mqtt_client.MQTT_ERR_CONN_LOST):
            # At QoS 1 paho keeps the message and re-sends it once reconnected.
            self.pump()
        elif info.rc != mqtt_client.MQTT_ERR_SUCCESS:
            raise RuntimeError(f"paho refused to publish on {topic}: {mqtt_client.error_string(info.rc)}")

    def drain(self) -> None:
        """Block until every message published so far is acknowledged."""
        self._wait_pending_at_most(0)

    def idle_until(self, due: float) -> None:
        """Keep the link alive until monotonic time ``due`` or until ``stop`` is set."""
        while not self._stop.is_set():
            remaining = due - time.monotonic()
            if remaining <= 0:
                return
            # Short polls so a set ``stop`` is noticed within a fraction of a second.
            self.pump(min(remaining, 0.2))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.disconnect()
            self.client.loop(0.1)
