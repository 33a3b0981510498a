"""The shipped Mosquitto ACL (deploy/mosquitto/acl) holds each gateway to its own site's topics."""

from __future__ import annotations

import subprocess
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from tests.fixtures.mqtt import MosquittoServer
from tests.support import port_open, require_binary, wait_for

ACL = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "acl"
#: The ACL's service account; gateways are named like their site.
SERVICE = ("kilowatch", "service-password")
GATEWAY = ("site-a", "gateway-a-password")


@dataclass
class SecuredMosquitto(MosquittoServer):
    """The fixture's broker with passwords and the shipped ACL, as docker compose runs it."""

    passwd: Path | None = None

    def start(self) -> None:
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "user root\n"
            "allow_anonymous false\n"
            f"password_file {self.passwd}\n"
            f"acl_file {ACL}\n"
            f"log_dest file {self.workdir}/mosquitto.log\n"
        )
        self.process = subprocess.Popen([self.binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: port_open(self.port), timeout=10, what=f"mosquitto on port {self.port}")


@pytest.fixture
def broker(tmp_path):
    binary = require_binary("mosquitto", "/usr/sbin/mosquitto", package="mosquitto")
    tool = require_binary("mosquitto_passwd", "/usr/bin/mosquitto_passwd", package="mosquitto")
    passwd = tmp_path / "passwd"
    passwd.touch()
    for user, password in (SERVICE, GATEWAY):
        subprocess.run([tool, "-b", str(passwd), user, password], check=True, capture_output=True)
    server = SecuredMosquitto(binary=binary, workdir=tmp_path, passwd=passwd)
    server.start()
    yield server
    server.stop()


def _client(broker: MosquittoServer, account: tuple[str, str]) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"acl-{uuid.uuid4().hex[:8]}", protocol=paho.MQTTv5)
    client.username_pw_set(*account)
    connected = threading.Event()
    client.on_connect = lambda c, u, f, rc, p: connected.set() if not rc.is_failure else None
    client.connect(broker.host, broker.port)
    client.loop_start()
    assert connected.wait(10), f"{account[0]} could not connect"
    return client


def _publish(client: paho.Client, topic: str, payload: bytes) -> int:
    """The broker's PUBACK reason code (MQTT 5: 135 is 'not authorized')."""
    codes: dict[int, int] = {}
    done = threading.Event()

    def on_publish(_c, _u, mid, reason_code, _p):
        codes[mid] = reason_code.value
        done.set()

    client.on_publish = on_publish
    info = client.publish(topic, payload, qos=1)
    assert done.wait(10), f"no PUBACK for {topic}"
    return codes[info.mid]


def test_a_gateway_cannot_publish_to_another_sites_topics(broker):
    received: list[tuple[str, bytes]] = []
    ingest = _client(broker, SERVICE)
    ingest.on_message = lambda c, u, m: received.append((m.topic, m.payload))
    subscribed = threading.Event()
    ingest.on_subscribe = lambda *args: subscribed.set()
    ingest.subscribe("kilowatch/v1/#", qos=1)
    assert subscribed.wait(10)
    gateway = _client(broker, GATEWAY)

    refused = _publish(gateway, "kilowatch/v1/site-b/meta", b'{"stolen": true}')
    accepted = _publish(gateway, "kilowatch/v1/site-a/meta", b'{"own": true}')

    assert refused == 135 and accepted == 0
    wait_for(lambda: received, what="the gateway's own announcement")
    assert received == [("kilowatch/v1/site-a/meta", b'{"own": true}')]
    for client in (gateway, ingest):
        client.loop_stop()
        client.disconnect()


def test_compose_mounts_the_acl_where_the_broker_config_reads_it():
    root = ACL.parents[2]
    service = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]["mosquitto"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
    conf = (root / "deploy" / "mosquitto" / "mosquitto.conf").read_text().splitlines()
    [acl_path] = [line.split()[1] for line in conf if line.startswith("acl_file ")]

    assert (root / mounts[acl_path]).resolve() == ACL
    assert (root / mounts["/mosquitto/config/gateways.passwd"]).is_file()
