"""The stamping publisher: sends a ReadingStream at QoS 1 and records exactly what the broker took."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from core.wire import encode_meta, meta_topic
from tests.faults.stream import Message, Portfolio, Stamp
from tests.support import wait_for

#: Messages paho keeps in flight before queueing: high enough for a few hundred messages a
#: second on loopback, low enough that a broker restart leaves a short resend to replay.
MAX_INFLIGHT = 100
#: Messages one publisher sends at most (MQTT message ids are 16 bits).
MAX_MESSAGES = 65_000


class StampingPublisher:
    """Publishes messages at QoS 1 (paho-mqtt 2.x) and keeps a record of each one.

    A message counts as published once the broker acknowledged it (PUBACK); ``join`` and
    ``wait_confirmed`` wait for that. Like a gateway, it sends only while connected and
    keeps at most ``MAX_INFLIGHT`` messages unacknowledged, which paho resends after a
    reconnect: a broker restart mid-stream costs no message (the broker may see some twice).
    """

    def __init__(self, host: str, port: int, prefix: str) -> None:
        self.prefix = prefix
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"fault-pub-{uuid.uuid4().hex[:8]}")
        # One above our own limit, so paho never parks a message in its "queued" state (which
        # it does not resend in order after a reconnect).
        self._client.max_inflight_messages_set(MAX_INFLIGHT + 1)
        # Seconds between reconnect attempts: quick enough to keep a restart short.
        self._client.reconnect_delay_set(1, 2)
        self._client.on_connect = lambda *_: self._connected.set()
        self._client.on_disconnect = lambda *_: self._connected.clear()
        self._client.on_publish = self._on_publish
        self._lock = threading.Lock()
        self._sent: list[tuple[int, Message]] = []
        self._unconfirmed: set[int] = set()
        self._early: set[int] = set()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()
        self._client.connect(host, port)
        self._client.loop_start()
        assert self._connected.wait(10), "publisher not connected"

    def _on_publish(self, _client: paho.Client, _userdata: object, mid: int, _rc: object, _props: object) -> None:
        with self._lock:
            if mid in self._unconfirmed:
                self._unconfirmed.discard(mid)
            else:
                self._early.add(mid)  # acknowledged before publish() recorded it

    # --- sending ----------------------------------------------------------------

    def announce(self, portfolio: Portfolio) -> None:
        """Publish every site's announcement, retained, in one burst; wait for the broker to take them."""
        infos = [
            self._client.publish(
                meta_topic(site.site_id, self.prefix), encode_meta(site, portfolio.meters[site.site_id]), qos=1, retain=True
            )
            for site in portfolio.sites
        ]
        for site, info in zip(portfolio.sites, infos, strict=True):
            info.wait_for_publish(timeout=10)
            assert info.is_published(), f"announcement of {site.site_id} not confirmed"

    def publish_raw(self, topic: str, payload: bytes) -> None:
        """Send a message outside the record (a probe), waiting for the broker to take it."""
        info = self._client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=10)

    def publish(self, message: Message, timeout: float = 60) -> None:
        """Send one message once connected with room in flight (without waiting for its PUBACK); record it."""
        wait_for(
            lambda: self._connected.is_set() and self.sent - self.confirmed < MAX_INFLIGHT,
            timeout=timeout,
            interval=0.005,
            what="room to publish",
        )
        with self._lock:
            # Message ids wrap at 65535: the record tells messages apart by id.
            assert len(self._sent) < MAX_MESSAGES, "stream too long for one publisher"
        info = self._client.publish(message.topic, message.payload, qos=1)
        with self._lock:
            self._sent.append((info.mid, message))
            if info.mid in self._early:
                self._early.discard(info.mid)
            else:
                self._unconfirmed.add(info.mid)

    def publish_all(self, messages: Iterable[Message], timeout: float = 60) -> None:
        """Send every message as fast as the broker takes them, then wait for confirmation."""
        for message in messages:
            self.publish(message)
        self.wait_confirmed(timeout)

    def start(self, messages: Iterable[Message], rate_per_s: float) -> None:
        """Send the messages from a background thread at a steady rate (``join`` waits for the end)."""
        if self._thread is not None:
            raise RuntimeError("one background stream at a time")
        items = list(messages)

        def run() -> None:
            began = time.monotonic()
            for i, message in enumerate(items):
                due = began + i / rate_per_s
                if self._halt.wait(max(0.0, due - time.monotonic())):
                    return
                self.publish(message)

        self._thread = threading.Thread(target=run, name="fault-publisher", daemon=True)
        self._thread.start()

    def join(self, timeout: float = 120) -> None:
        """Wait until the background stream is sent and every message confirmed."""
        if self._thread is not None:
            self._thread.join(timeout)
            assert not self._thread.is_alive(), f"publisher still sending after {timeout}s"
            self._thread = None
        self.wait_confirmed(timeout)

    @property
    def sending(self) -> bool:
        """True while the background stream still has messages to send."""
        return self._thread is not None and self._thread.is_alive()

    def wait_confirmed(self, timeout: float = 60) -> None:
        wait_for(
            lambda: self.confirmed == self.sent,
            timeout=timeout,
            interval=0.1,
            what=f"broker confirmation of {self.sent} messages",
        )

    def close(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(10)
        self._client.disconnect()
        self._client.loop_stop()

    # --- the record -------------------------------------------------------------

    def _messages(self) -> list[tuple[int, Message]]:
        with self._lock:
            return list(self._sent)

    @property
    def sent(self) -> int:
        with self._lock:
            return len(self._sent)

    @property
    def confirmed(self) -> int:
        with self._lock:
            return len(self._sent) - len(self._unconfirmed)

    @property
    def stamps(self) -> list[Stamp]:
        """Every good reading sent so far, in sending order."""
        return [stamp for _, message in self._messages() for stamp in message.stamps]

    @property
    def readings_sent(self) -> int:
        return len(self.stamps)

    @property
    def poison(self) -> Counter[str]:
        """Poison messages sent so far, by poison kind."""
        return Counter(message.poison for _, message in self._messages() if message.poison)
