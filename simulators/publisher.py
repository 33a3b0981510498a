"""Publishes a simulated portfolio over MQTT: retained meta announcements, then readings at QoS 1."""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt_client
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from core import wire
from core.domain import Reading
from core.settings import MqttSettings
from simulators.generator import generate
from simulators.portfolio import Portfolio
from simulators.waste import WasteEvent, plan_waste, write_ground_truth

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
#: Waste events planned per site and week when the caller passes waste=None.
DEFAULT_EVENTS_PER_SITE_WEEK = 2.0
#: Seconds between keepalive pings: short enough to notice a dead broker within a minute,
#: long enough to cost nothing while a paced run idles between steps.
_KEEPALIVE_S = 30


@dataclass(frozen=True)
class SimulationResult:
    """What a run published, and the ground truth of the waste it injected."""

    readings_published: int
    messages_published: int
    events: list[tuple[WasteEvent, float]] = field(default_factory=list)
    #: True when ``stop`` ended the run before the last step.
    stopped_early: bool = False
    #: PUBACKs carrying an MQTT 5 failure reason (e.g. not authorised to publish).
    rejected_by_broker: int = 0


class _Link:
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
        except Exception:  # noqa: BLE001 - an exception here would abort paho's loop
            log.exception("on_connect failed")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            self._connected = False
            if reason_code.is_failure:
                log.warning("simulator lost the broker: %s", reason_code)
        except Exception:  # noqa: BLE001
            log.exception("on_disconnect failed")

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        try:
            self.acked += 1
            if reason_code is not None and reason_code.is_failure:
                self.rejected += 1
        except Exception:  # noqa: BLE001
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
        kwargs = {"clean_start": True} if self._protocol == mqtt_client.MQTTv5 else {}
        self.client.connect(s.host, s.port, keepalive=_KEEPALIVE_S, **kwargs)
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


def _messages(readings: list[Reading], batch: bool, prefix: str) -> Iterator[tuple[str, bytes]]:
    if batch:
        for site_id, group in itertools.groupby(readings, key=lambda r: r.site_id):
            yield wire.batch_topic(site_id, prefix), wire.encode_batch(site_id, list(group))
    else:
        for r in readings:
            yield wire.reading_topic(r.site_id, r.meter_id, prefix), wire.encode_reading(r)


def _progress(enabled: bool) -> Progress | contextlib.nullcontext:
    if not enabled:
        return contextlib.nullcontext()
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[readings]} readings"), TimeRemainingColumn(),
    )


def run_simulation(
    mqtt: MqttSettings,
    portfolio: Portfolio,
    start: int,
    days: float,
    *,
    step_s: int = 900,
    waste: list[WasteEvent] | None = None,
    seed: int = 0,
    speed: float | None = None,
    batch: bool = True,
    ground_truth_path: str | Path | None = None,
    progress: bool = True,
    stop: threading.Event | None = None,
    live_from: int | None = None,
) -> SimulationResult:
    """Simulate ``days`` from ``start`` and publish it; returns once the broker has acknowledged all.

    ``speed`` None backfills as fast as the broker takes it; N plays N simulated
    seconds per wall-clock second; with ``live_from`` the steps before it are
    backfilled and pacing starts there, so registers run on unbroken. Raises ConnectionError or TimeoutError when the
    broker is unreachable or stops acknowledging (both worth a retry).
    """
    if speed is not None and speed <= 0:
        raise ValueError("speed must be positive or None")
    end = int(start) + int(round(days * 86400))
    if waste is None:
        waste = plan_waste(portfolio, start, end, DEFAULT_EVENTS_PER_SITE_WEEK, seed)
    stop = stop or threading.Event()
    prefix = mqtt.topic_prefix
    generation = generate(portfolio, start, end, step_s=step_s, waste=waste, seed=seed)
    link = _Link(mqtt, stop)
    link.connect()
    readings = 0
    stopped = False
    try:
        for site in portfolio.sites:
            link.publish(wire.meta_topic(site.site_id, prefix), wire.encode_meta(site, portfolio.meters[site.site_id]), retain=True)
        link.drain()  # announcements are on the broker before the first reading
        paced_from: tuple[int, float] | None = None  # (step index, wall time) where pacing began
        with _progress(progress) as bar:
            task = bar.add_task(f"{len(portfolio.sites)} sites", total=generation.n_steps, readings=0) if bar else None
            for i in range(generation.n_steps):
                if speed is not None and (live_from is None or generation.start + i * step_s >= live_from):
                    if paced_from is None:
                        paced_from = (i, time.monotonic())
                    link.idle_until(paced_from[1] + (i - paced_from[0]) * step_s / speed)
                if stop.is_set():
                    stopped = True
                    break
                _, step_readings = next(generation)
                for topic, payload in _messages(step_readings, batch, prefix):
                    link.publish(topic, payload)
                readings += len(step_readings)
                link.pump()
                if bar is not None:
                    bar.update(task, advance=1, readings=readings)
            if bar is not None:
                bar.update(task, description="waiting for PUBACKs")
            link.drain()
    finally:
        link.close()
    events = generation.events()
    if ground_truth_path is not None:
        write_ground_truth(ground_truth_path, events)
    return SimulationResult(
        readings_published=readings,
        messages_published=link.sent,
        events=events,
        stopped_early=stopped,
        rejected_by_broker=link.rejected,
    )
