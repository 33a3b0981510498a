"""Fixtures of the fault tests: a rig per test, on the session's services or a private broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.faults.rig import Rig
from tests.fixtures.mqtt import MosquittoServer
from tests.support import require_binary


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: fault tests of ingest against real Mosquitto and InfluxDB (about a minute each)")


@pytest.fixture
def rig(mosquitto, influxdb, topic_prefix, tmp_path) -> Iterator[Rig]:
    """Workers, publisher and checker on the shared broker, with a database of their own."""
    rig = Rig(mosquitto.host, mosquitto.port, topic_prefix, influxdb.url, influxdb.new_database(), tmp_path)
    yield rig
    rig.close()


@pytest.fixture(scope="module")
def module_rig(mosquitto, influxdb, tmp_path_factory) -> Iterator[Rig]:
    """A rig shared by the tests of one module: one scenario run, several aspects checked."""
    prefix = f"kwfault-{uuid.uuid4().hex[:8]}/v1"
    rig = Rig(mosquitto.host, mosquitto.port, prefix, influxdb.url, influxdb.new_database(), tmp_path_factory.mktemp("faults"))
    yield rig
    rig.close()


@pytest.fixture
def own_broker(tmp_path) -> Iterator[MosquittoServer]:
    """A Mosquitto (persistence on) that only this test uses, so it may restart it at will."""
    binary = require_binary("mosquitto", "/usr/sbin/mosquitto", package="mosquitto")
    workdir = tmp_path / "mosquitto"
    workdir.mkdir()
    server = MosquittoServer(binary=binary, workdir=workdir)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_rig(own_broker, influxdb, topic_prefix, tmp_path) -> Iterator[Rig]:
    """A rig on a private broker."""
    rig = Rig(own_broker.host, own_broker.port, topic_prefix, influxdb.url, influxdb.new_database(), tmp_path)
    yield rig
    rig.close()
