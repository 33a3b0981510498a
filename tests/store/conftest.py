"""The ``store`` fixture: every SeriesStore backend, each test on empty storage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.settings import StoreSettings
from core.store import SeriesStore
from core.store.embedded import EmbeddedStore
from core.store.influx_v1 import InfluxV1Store
from core.store.influx_v2 import InfluxV2Store
from tests.support import free_port

#: Seconds a request to a closed port may take; refusal is immediate, so this
#: only bounds a machine where the port silently drops packets.
SHORT_TIMEOUT_S = 2.0


def _influx1(request: pytest.FixtureRequest) -> SeriesStore:
    server = request.getfixturevalue("influxdb")
    return InfluxV1Store(StoreSettings(backend="influx1", url=server.url, database=server.new_database()))


def _influx2(request: pytest.FixtureRequest) -> SeriesStore:
    target = request.getfixturevalue("influx2")
    from influxdb_client import InfluxDBClient

    # One configured bucket, so empty it rather than create one per test (that
    # would need a token allowed to create buckets).
    with InfluxDBClient(url=target.url, token=target.token, org=target.org) as client:
        client.delete_api().delete(
            "1970-01-01T00:00:00Z", "2200-01-01T00:00:00Z", '_measurement="energy"', bucket=target.bucket, org=target.org
        )
    settings = StoreSettings(
        backend="influx2", url=target.url, token=SecretStr(target.token), org=target.org, bucket=target.bucket
    )
    return InfluxV2Store(settings)


@pytest.fixture(params=["embedded", "influx1", "influx2"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SeriesStore]:
    """A store of each backend, holding no points yet."""
    if request.param == "embedded":
        opened: SeriesStore = EmbeddedStore(tmp_path / "series.sqlite")
    elif request.param == "influx1":
        opened = _influx1(request)
    else:
        opened = _influx2(request)
    yield opened
    opened.close()


@pytest.fixture(params=["influx1", "influx2"])
def unreachable_store(request: pytest.FixtureRequest) -> Iterator[SeriesStore]:
    """A network backend pointed at a port nothing listens on."""
    url = f"http://127.0.0.1:{free_port()}"
    settings = StoreSettings(backend=request.param, url=url, timeout_s=SHORT_TIMEOUT_S)
    opened: SeriesStore = InfluxV1Store(settings) if request.param == "influx1" else InfluxV2Store(settings)
    yield opened
    opened.close()
