"""Building the paho client: protocol, persistent session, credentials, TLS, subscriptions."""

from __future__ import annotations

import logging
import ssl

from paho.mqtt.client import Client, MQTTv5, MQTTv311
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from core.settings import MqttSettings
from core.tls import client_context, explain
from core.wire import meta_topic, subscriptions
from ingest.client import BufferedClient

log = logging.getLogger(__name__)

#: Seconds between keep-alive pings: the broker drops us after 1.5x this without traffic,
#: so it also bounds how long the network thread may stay blocked by backpressure.
KEEPALIVE_S = 60
#: Reconnect backoff bounds (seconds): fast first retry after a broker restart, and
#: no more than one attempt every half minute during a long outage.
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30
#: Largest Receive Maximum MQTT 5 allows.
_MQTT5_RECEIVE_MAX = 65535


def is_mqtt5(mqtt: MqttSettings) -> bool:
    return mqtt.protocol == "5"


def topic_filters(mqtt: MqttSettings) -> list[str]:
    """The wire contract's filters; readings join the shared group when one is set (MQTT 5).

    Announcements stay a plain subscription: every worker of a group keeps its own meter
    cache and needs every announcement, and brokers send no retained messages to shared
    subscriptions, so a shared meta filter would miss the sites announced before start.
    """
    filters = subscriptions(mqtt.topic_prefix)
    if not (mqtt.shared_group and is_mqtt5(mqtt)):
        return filters
    meta = meta_topic("+", mqtt.topic_prefix)
    return [f if f == meta else f"$share/{mqtt.shared_group}/{f}" for f in filters]


def build_client(mqtt: MqttSettings) -> Client:
    """A client with manual acknowledgement and a session the broker keeps while we are away."""
    if is_mqtt5(mqtt):
        client = BufferedClient(CallbackAPIVersion.VERSION2, client_id=mqtt.client_id, protocol=MQTTv5, manual_ack=True)
    else:
        client = BufferedClient(
            CallbackAPIVersion.VERSION2,
            client_id=mqtt.client_id,
            protocol=MQTTv311,
            clean_session=False,
            manual_ack=True,
        )
    if mqtt.username:
        password = mqtt.password.get_secret_value() if mqtt.password else None
        client.username_pw_set(mqtt.username, password)
    context = client_context(mqtt)  # raises TlsConfigError for an unusable file: fix, do not retry
    if context is not None:
        context.sslsocket_class = _reporting_socket(mqtt)
        client.tls_set_context(context)
    client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
    return client


def _reporting_socket(mqtt: MqttSettings) -> type[ssl.SSLSocket]:
    """A socket class that logs why a TLS handshake failed.

    paho's network thread catches the error and retries with backoff without saying why,
    so a wrong CA or server name would look like a broker that never answers.
    """

    class ReportingSSLSocket(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            try:
                super().do_handshake(block)
            except ssl.SSLError as exc:
                log.error("%s; retrying", explain(exc, mqtt.host, mqtt.port))
                raise

    return ReportingSSLSocket


def connect_async(client: Client, mqtt: MqttSettings, unacked_limit: int) -> None:
    """Start connecting (the network loop completes it and reconnects after losses).

    ``unacked_limit`` becomes the MQTT 5 Receive Maximum: the broker stops sending once that
    many messages await our acknowledgement, which is backpressure that does not block the
    network thread. MQTT 3.1.1 has no such property (the broker's own inflight limit applies).
    """
    if is_mqtt5(mqtt):
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = mqtt.session_expiry
        properties.ReceiveMaximum = max(1, min(_MQTT5_RECEIVE_MAX, unacked_limit))
        client.connect_async(mqtt.host, mqtt.port, KEEPALIVE_S, clean_start=False, properties=properties)
    else:
        client.connect_async(mqtt.host, mqtt.port, KEEPALIVE_S)


def subscribe(client: Client, mqtt: MqttSettings) -> int | None:
    """Subscribe to every filter at the configured QoS; returns the SUBSCRIBE message id (None if not sent)."""
    if is_mqtt5(mqtt):
        _, mid = client.subscribe([(f, SubscribeOptions(qos=mqtt.qos)) for f in topic_filters(mqtt)])
    else:
        topics: list[tuple[str, int]] = [(f, mqtt.qos) for f in topic_filters(mqtt)]
        _, mid = client.subscribe(topics)
    return mid
