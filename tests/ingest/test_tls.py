"""MQTT over TLS against a real Mosquitto running the compose configuration (deploy/mosquitto).

The broker's 8883 listener gets certificates from a throwaway CA (trustme); ingest and the
simulator's publishing link connect with that CA, a password, and optionally a client
certificate. A CA that did not sign the broker, or a host name the certificate does not
carry, is refused with an error that says which.
"""

from __future__ import annotations

import logging
import re
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from pydantic import SecretStr, ValidationError

from core.domain import Reading
from core.settings import IngestSettings, MqttSettings
from core.tls import TlsConfigError, client_context
from core.wire import encode_meta, encode_reading, meta_topic, reading_topic
from ingest import IngestWorker
from simulators.link import Link
from tests.ingest.conftest import METERS, NOW, SITE, wait_stored
from tests.support import free_port, port_open, require_binary, wait_for

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "kilowatch", "tls-test-password"


@dataclass
class TlsBroker:
    host: str  # the name on the broker's certificate
    plain_port: int
    tls_port: int
    #: A listener that also requires a client certificate signed by the CA.
    mutual_port: int
    certs: Path

    def settings(self, **changes) -> MqttSettings:
        values = dict(
            host=self.host,
            port=self.tls_port,
            username=USER,
            password=SecretStr(PASSWORD),
            tls=True,
            tls_ca_file=str(self.certs / "ca.crt"),
            topic_prefix=f"kwtls-{uuid.uuid4().hex[:8]}/v1",
            client_id=f"ingest-{uuid.uuid4().hex[:8]}",
        )
        return MqttSettings(**(values | changes))


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsBroker]:
    binary = require_binary("mosquitto", "/usr/sbin/mosquitto", package="mosquitto")
    passwd = require_binary("mosquitto_passwd", "/usr/bin/mosquitto_passwd", package="mosquitto")
    workdir = tmp_path_factory.mktemp("mosquitto-tls")
    certs = workdir / "certs"
    certs.mkdir()
    ca = trustme.CA()
    server = ca.issue_cert("localhost")
    client = ca.issue_cert("kilowatch-ingest")
    ca.cert_pem.write_to_path(str(certs / "ca.crt"))
    for pem in server.cert_chain_pems:
        pem.write_to_path(str(certs / "server.crt"), append=True)
    server.private_key_pem.write_to_path(str(certs / "server.key"))
    for pem in client.cert_chain_pems:
        pem.write_to_path(str(certs / "client.crt"), append=True)
    client.private_key_pem.write_to_path(str(certs / "client.key"))
    trustme.CA().cert_pem.write_to_path(str(certs / "other-ca.crt"))
    subprocess.run([passwd, "-c", "-b", str(workdir / "passwd"), USER, PASSWORD], check=True, capture_output=True)

    broker = TlsBroker("localhost", free_port(), free_port(), free_port(), certs)
    # The compose configuration itself, with its container paths and ports moved here.
    conf = (ROOT / "deploy/mosquitto/mosquitto.conf").read_text()
    conf = re.sub(r"^listener 1883$", f"listener {broker.plain_port} 127.0.0.1", conf, flags=re.M)
    conf = re.sub(r"^listener 8883$", f"listener {broker.tls_port} 127.0.0.1", conf, flags=re.M)
    conf = conf.replace("/mosquitto/data/passwd", str(workdir / "passwd"))
    # Topic rights have their own test (tests/deploy/test_mosquitto_acl.py); this one is about TLS.
    conf = re.sub(r"^acl_file .*$", "", conf, flags=re.M)
    conf = conf.replace("/mosquitto/data/", f"{workdir}/").replace("/mosquitto/certs/", f"{certs}/")
    conf = conf.replace("log_dest stdout", f"log_dest file {workdir}/mosquitto.log")
    conf += (
        "user root\n"  # as root, mosquitto would drop to a user that cannot read pytest's temp dir
        f"listener {broker.mutual_port} 127.0.0.1\n"
        f"cafile {certs}/ca.crt\ncertfile {certs}/server.crt\nkeyfile {certs}/server.key\n"
        "require_certificate true\n"
    )
    (workdir / "mosquitto.conf").write_text(conf)
    process = subprocess.Popen(
        [binary, "-c", str(workdir / "mosquitto.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for port in (broker.plain_port, broker.tls_port, broker.mutual_port):
            wait_for(lambda port=port: process.poll() is None and port_open(port), timeout=10, what=f"mosquitto on {port}")
        yield broker
    finally:
        process.terminate()
        process.wait(timeout=10)


def _publish_one_reading(settings: MqttSettings, register: float) -> None:
    """Announce SITE and send one reading through the simulator's link, over TLS."""
    link = Link(settings.model_copy(update={"client_id": ""}), threading.Event())
    link.connect()
    try:
        link.publish(meta_topic(SITE.site_id, settings.topic_prefix), encode_meta(SITE, METERS), retain=True)
        meter = METERS[0].meter_id
        link.publish(
            reading_topic(SITE.site_id, meter, settings.topic_prefix),
            encode_reading(Reading(SITE.site_id, meter, NOW - 900, register)),
        )
        link.drain()
    finally:
        link.close()


def test_ingest_receives_a_reading_over_tls_with_a_password(tls_broker, start_worker, store):
    settings = tls_broker.settings()
    start_worker(mqtt=settings)
    _publish_one_reading(settings, 42.5)
    [point] = wait_stored(store, METERS[0].meter_id, 1)
    assert point.register == 42.5


def test_ingest_connects_with_a_client_certificate_where_one_is_required(tls_broker, start_worker, store):
    certs = tls_broker.certs
    settings = tls_broker.settings(
        port=tls_broker.mutual_port, tls_cert_file=str(certs / "client.crt"), tls_key_file=str(certs / "client.key")
    )
    start_worker(mqtt=settings)
    _publish_one_reading(settings, 7.0)
    assert wait_stored(store, METERS[0].meter_id, 1)[0].register == 7.0


def _refusal_logged(settings, sessions, store, caplog) -> str:
    """Start a worker that cannot connect; the error it logs while retrying."""
    worker = IngestWorker(settings, IngestSettings(), store, sessions, clock=lambda: NOW)
    with caplog.at_level(logging.ERROR, logger="ingest.connection"):
        worker.start()
        try:
            record = wait_for(
                lambda: next((r for r in caplog.records if r.name == "ingest.connection"), None),
                timeout=10,
                what="the TLS refusal logged",
            )
            assert not worker.wait_until_subscribed(0.2)
        finally:
            worker.stop(timeout=2)
    return record.getMessage()


def test_ingest_refuses_a_broker_its_ca_did_not_sign(tls_broker, sessions, store, caplog):
    settings = tls_broker.settings(tls_ca_file=str(tls_broker.certs / "other-ca.crt"))
    message = _refusal_logged(settings, sessions, store, caplog)
    assert f"localhost:{tls_broker.tls_port}" in message
    assert "not trusted" in message and "tls_ca_file" in message


def test_ingest_refuses_a_certificate_for_another_name(tls_broker, sessions, store, caplog):
    # The certificate names "localhost"; 127.0.0.1 reaches the same broker under another name.
    settings = tls_broker.settings(host="127.0.0.1")
    message = _refusal_logged(settings, sessions, store, caplog)
    assert "does not name '127.0.0.1'" in message


def test_the_simulator_link_says_why_a_broker_is_refused(tls_broker):
    for changes, expected in (
        ({"tls_ca_file": str(tls_broker.certs / "other-ca.crt")}, "not trusted"),
        ({"host": "127.0.0.1"}, "does not name '127.0.0.1'"),
    ):
        link = Link(tls_broker.settings(**changes), threading.Event())
        with pytest.raises(ConnectionError, match=expected):
            link.connect()
        link.close()


def test_the_compose_plain_listener_still_wants_a_password(tls_broker):
    # The deploy configuration's global settings hold on both listeners.
    link = Link(MqttSettings(host="127.0.0.1", port=tls_broker.plain_port), threading.Event())
    with pytest.raises(ConnectionError, match=f"127.0.0.1:{tls_broker.plain_port}"):
        link.connect()
    link.close()


def test_tls_files_without_tls_are_a_settings_error():
    with pytest.raises(ValidationError, match="tls is false"):
        MqttSettings(tls_ca_file="/etc/ssl/certs/ca-certificates.crt")
    with pytest.raises(ValidationError, match="both or neither"):
        MqttSettings(tls=True, tls_cert_file="client.crt")


def test_a_missing_ca_file_names_the_setting(tmp_path):
    with pytest.raises(TlsConfigError, match="mqtt.tls_ca_file: no such file"):
        client_context(MqttSettings(tls=True, tls_ca_file=str(tmp_path / "absent.crt")))
