"""The network thread's paho client: read-ahead loses, reorders and delays nothing; batched PUBACKs count.

Real Mosquitto. These pin the paho internals ``ingest.client`` relies on: a paho upgrade that
changes them fails here rather than in production.
"""

from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ingest.client import READ_BYTES, BufferedClient, puback_all
from tests.support import wait_for


def _publish(port: int, messages: list[tuple[str, bytes]]) -> None:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"test-pub-{uuid.uuid4().hex[:8]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    for topic, payload in messages:
        client.publish(topic, payload, qos=1).wait_for_publish(10)
    client.loop_stop()
    client.disconnect()


class _Receiver:
    """A ``BufferedClient`` on a persistent session that records what arrives, acking as told."""

    def __init__(self, port: int, client_id: str, topic: str, *, auto_ack: bool) -> None:
        self.received: list[tuple[str, bytes, int]] = []
        self.subscribed = threading.Event()
        self.client = BufferedClient(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5, manual_ack=not auto_ack
        )
        self.client.on_message = lambda _c, _u, m: self.received.append((m.topic, m.payload, m.mid))
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 600
        self.client.connect("127.0.0.1", port, clean_start=False, properties=properties)
        self.client.loop_start()
        assert self.subscribed.wait(10), "not subscribed"

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_a_backlog_of_small_and_large_messages_arrives_whole_and_in_order(mosquitto, topic_prefix):
    # Queued while away, the backlog arrives as fast as the broker sends: many packets per
    # read, packets split across reads, and messages larger than one read.
    topic = f"{topic_prefix}/x"
    client_id = f"test-buffered-{uuid.uuid4().hex[:8]}"
    _Receiver(mosquitto.port, client_id, f"{topic_prefix}/#", auto_ack=True).stop()
    sizes = [10, 1, 3 * READ_BYTES + 17, *range(1, 400, 7), READ_BYTES, READ_BYTES - 1, 5]
    messages = [(topic, bytes([i % 251]) * size) for i, size in enumerate(sizes * 20)]
    _publish(mosquitto.port, messages)

    receiver = _Receiver(mosquitto.port, client_id, f"{topic_prefix}/#", auto_ack=True)
    try:
        wait_for(lambda: len(receiver.received) >= len(messages), timeout=30, what="the backlog")
        time.sleep(0.2)  # nothing more, nothing twice
        assert [(t, p) for t, p, _ in receiver.received] == messages
    finally:
        receiver.stop()


def test_a_trickle_is_handed_over_as_each_message_arrives(mosquitto, topic_prefix):
    # Nothing is held back in the read-ahead waiting for more bytes.
    receiver = _Receiver(mosquitto.port, f"test-buffered-{uuid.uuid4().hex[:8]}", f"{topic_prefix}/#", auto_ack=True)
    try:
        for i in range(5):
            _publish(mosquitto.port, [(f"{topic_prefix}/t", b"%d" % i)])
            wait_for(lambda i=i: len(receiver.received) == i + 1, timeout=2, what=f"message {i}")
    finally:
        receiver.stop()


def test_puback_all_acknowledges_every_message_it_names_and_no_other(mosquitto, topic_prefix):
    client_id = f"test-buffered-{uuid.uuid4().hex[:8]}"
    receiver = _Receiver(mosquitto.port, client_id, f"{topic_prefix}/#", auto_ack=False)
    messages = [(f"{topic_prefix}/m", b"%d" % i) for i in range(300)]
    try:
        _publish(mosquitto.port, messages)
        wait_for(lambda: len(receiver.received) == len(messages), timeout=20, what="every message")
        by_payload = {p: mid for _, p, mid in receiver.received}
        acked = [p for _, p in messages[:250]]
        puback_all(receiver.client, [by_payload[p] for p in acked[:-1]])
        puback_all(receiver.client, [by_payload[acked[-1]]])  # one alone takes the stock path
        time.sleep(0.5)  # let the PUBACKs leave before the connection goes
    finally:
        receiver.stop()

    # The broker redelivers exactly what was not acknowledged.
    again = _Receiver(mosquitto.port, client_id, f"{topic_prefix}/#", auto_ack=True)
    try:
        wait_for(lambda: len(again.received) >= 50, timeout=20, what="the unacknowledged messages")
        time.sleep(0.3)
        assert sorted(p for _, p, _ in again.received) == sorted(p for _, p in messages[250:])
    finally:
        again.stop()
