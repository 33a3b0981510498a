"""The compose store: InfluxDB 1.x with authentication, kilowatch logging in as a non-admin user.

docker-compose.yml starts ``influxdb:1.8`` with ``INFLUXDB_HTTP_AUTH_ENABLED`` and a
``kilowatch`` user, which the image's first start grants ALL on the ``kilowatch`` database
(and nothing else). This runs the real InfluxDB 1.x here with the same users and grants, and
checks that the ``influx1`` backend does all it needs as that user: write, read, keep its
rollups (which delete dirty markers).
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from core.domain import EnergyPoint
from core.settings import StoreSettings
from core.store.influx_v1 import InfluxV1Store
from tests.fixtures.influx import _CONFIG
from tests.support import free_port, require_binary, wait_for

ADMIN, ADMIN_PASSWORD = "admin", "admin-password"
USER, PASSWORD, DATABASE = "kilowatch", "kilowatch-password", "kilowatch"
DAY = 86_400
#: 2025-01-01 00:00 in Asia/Shanghai: a sealed day, so reading it builds rollups.
JAN1 = 1_735_660_800


@pytest.fixture(scope="module")
def secured_influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = require_binary("influxd", "/usr/bin/influxd", package="influxdb")
    workdir = tmp_path_factory.mktemp("influxdb-auth")
    http_port = free_port()
    conf = _CONFIG.format(workdir=workdir, http_port=http_port, rpc_port=free_port(), data_options="")
    conf = conf.replace("  log-enabled = false\n", "  log-enabled = false\n  auth-enabled = true\n")
    (workdir / "influxdb.conf").write_text(conf)
    with (workdir / "influxd.log").open("ab") as log:
        process = subprocess.Popen([binary, "-config", str(workdir / "influxdb.conf")], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{http_port}"
    try:
        wait_for(lambda: process.poll() is None and _pings(url), timeout=30, what="influxd with auth")
        # What influxdb:1.8's first start does with INFLUXDB_ADMIN_* , INFLUXDB_USER* and INFLUXDB_DB.
        _admin(url, f"CREATE USER \"{ADMIN}\" WITH PASSWORD '{ADMIN_PASSWORD}' WITH ALL PRIVILEGES", auth=False)
        _admin(url, f'CREATE DATABASE "{DATABASE}"')
        _admin(url, f"CREATE USER \"{USER}\" WITH PASSWORD '{PASSWORD}'")
        _admin(url, f'REVOKE ALL PRIVILEGES FROM "{USER}"')
        _admin(url, f'GRANT ALL ON "{DATABASE}" TO "{USER}"')
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _pings(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ping", timeout=1).status_code == 204
    except httpx.HTTPError:
        return False


def _admin(url: str, q: str, auth: bool = True) -> None:
    response = httpx.post(f"{url}/query", data={"q": q}, auth=(ADMIN, ADMIN_PASSWORD) if auth else None, timeout=10)
    assert response.status_code == 200 and '"error"' not in response.text, response.text


@pytest.fixture
def store(secured_influx: str) -> Iterator[InfluxV1Store]:
    opened = InfluxV1Store(
        StoreSettings(backend="influx1", url=secured_influx, database=DATABASE, username=USER, password=SecretStr(PASSWORD))
    )
    yield opened
    opened.close()


def test_the_kilowatch_user_writes_reads_and_keeps_rollups(store, caplog):
    points = [EnergyPoint("s1", "m1", "lobby_lighting", JAN1 + i * 900, 100.0 + i, 1.0) for i in range(96)]
    with caplog.at_level(logging.WARNING):
        store.write(points)
        [day] = store.energy_by_day(start=JAN1 - 2 * DAY, end=JAN1 + 3 * DAY, site_id="s1")
        # Read twice: the second comes from the rollup document the first wrote.
        assert store.energy_by_day(start=JAN1 - 2 * DAY, end=JAN1 + 3 * DAY, site_id="s1") == [day]
    assert (day.day, day.energy, day.readings) == (JAN1, 96.0, 96)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_the_kilowatch_user_may_delete_dirty_markers(secured_influx):
    # Rollup keeping deletes markers; InfluxDB 1.x asks WRITE on the database for DELETE.
    response = httpx.post(
        f"{secured_influx}/query",
        data={"db": DATABASE, "q": 'DELETE FROM "rollup_dirty" WHERE time < 0s'},
        auth=(USER, PASSWORD),
        timeout=10,
    )
    assert response.status_code == 200 and '"error"' not in response.text, response.text


def test_a_wrong_password_is_refused(secured_influx):
    store = InfluxV1Store(
        StoreSettings(backend="influx1", url=secured_influx, database=DATABASE, username=USER, password=SecretStr("wrong"))
    )
    try:
        with pytest.raises(Exception, match="401|auth"):
            store.write([EnergyPoint("s1", "m1", "lobby_lighting", JAN1, 1.0, 0.0)])
    finally:
        store.close()
