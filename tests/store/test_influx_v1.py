"""InfluxV1Store beyond the shared contract: outages, refused data, auth and error mapping."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from core.calendar import day_of
from core.settings import StoreSettings
from core.store import StoreRejected, StoreUnavailable
from core.store.influx_http import WRITE_CHUNK_LINES
from core.store.influx_v1 import InfluxV1Store
from tests.store.points import DAY, EVERYTHING, T0, pt
from tests.store.recording import recording_store

SECRET = "s3cr3t-never-shown"


@pytest.fixture
def influx_store(influxdb) -> Iterator[InfluxV1Store]:
    opened = InfluxV1Store(StoreSettings(backend="influx1", url=influxdb.url, database=influxdb.new_database(), timeout_s=2))
    yield opened
    opened.close()


def faked(handler, **settings) -> InfluxV1Store:
    """A store whose HTTP requests are answered by ``handler`` instead of a server."""
    return InfluxV1Store(StoreSettings(backend="influx1", **settings), transport=httpx.MockTransport(handler))


def test_write_fails_as_unavailable_while_the_server_is_down_and_succeeds_once_it_is_back(influxdb, influx_store) -> None:
    influx_store.write([pt("m1", T0)])
    influxdb.stop()
    try:
        with pytest.raises(StoreUnavailable):
            influx_store.write([pt("m1", T0 + 60)])
    finally:
        influxdb.start()
    influx_store.write([pt("m1", T0 + 120)])
    assert [p.ts for p in influx_store.points(**EVERYTHING)] == [T0, T0 + 120]


def test_a_field_type_conflict_is_rejected(influxdb, influx_store) -> None:
    db = influx_store.database
    httpx.post(f"{influxdb.url}/query", data={"q": f'CREATE DATABASE "{db}"'})
    strings = b'energy,site=s1,meter=m9 register="text",energy="text" 1772409600'
    assert httpx.post(f"{influxdb.url}/write", params={"db": db, "precision": "s"}, content=strings).status_code == 204
    # The shard now holds "register" and "energy" as strings: our floats are refused.
    with pytest.raises(StoreRejected, match="conflict"):
        influx_store.write([pt("m1", T0)])


def test_an_id_with_a_backslash_rejects_the_whole_batch_before_anything_is_written(influx_store) -> None:
    with pytest.raises(StoreRejected, match="backslash"):
        influx_store.write([pt("m1", T0), pt("m\\2", T0)])
    assert influx_store.points(**EVERYTHING) == []


def test_a_non_finite_value_is_rejected(influx_store) -> None:
    with pytest.raises(StoreRejected, match="finite"):
        influx_store.write([pt("m1", T0, register=float("nan"))])


def test_writes_are_sent_in_chunks_of_bounded_size() -> None:
    store, bodies = recording_store()
    store.write([pt("m1", T0 + i) for i in range(2 * WRITE_CHUNK_LINES + 1)])
    # The dirty markers of the (old) days go first, in a body of their own.
    assert bodies[0].startswith(b"rollup_dirty,") and b"energy," not in bodies[0]
    points_per_body = [sum(line.startswith(b"energy,") for line in body.splitlines()) for body in bodies[1:]]
    assert points_per_body == [WRITE_CHUNK_LINES, WRITE_CHUNK_LINES, 1]


@pytest.mark.parametrize(
    "offsets",
    [
        [-2 * DAY + 60, -2 * DAY + 3_600],  # all late, in one day: the fast way
        [-DAY - 60, -DAY + 60],  # all late, across two days
        [-120, -60, 0, 60],  # the points of today need no marker
        [0, 3_600],  # nothing late
    ],
)
def test_each_site_and_day_written_before_today_gets_one_dirty_marker(offsets) -> None:
    today = day_of(int(time.time()))
    points = [pt(f"{site}-m", today + offset, site=site) for site in ("s1", "s 2") for offset in offsets]
    store, bodies = recording_store()

    store.write(points)

    markers = {
        (tags["site"].replace("\\ ", " "), int(tags["day"]))
        for body in bodies
        for line in body.decode().splitlines()
        if line.startswith("rollup_dirty,")
        for tags in [dict(tag.split("=", 1) for tag in line.split(" n=")[0].split(",")[1:])]
    }
    assert markers == {(p.site_id, day_of(p.ts)) for p in points if p.ts < today}


def test_a_token_is_sent_as_a_token_authorization_header() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(204)

    faked(handler, token=SecretStr(SECRET)).ping()
    assert seen == [f"Token {SECRET}"]


def test_a_password_is_sent_by_basic_auth_and_never_in_the_url() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    faked(handler, username="kw", password=SECRET).ping()
    assert seen[0].headers["Authorization"] == "Basic " + base64.b64encode(f"kw:{SECRET}".encode()).decode()
    assert SECRET not in str(seen[0].url)


@pytest.mark.parametrize("status", [500, 503, 401, 403, 429])
def test_server_and_credential_errors_on_write_are_unavailable(status: int) -> None:
    store = faked(lambda request: httpx.Response(status, json={"error": "nope"}))
    with pytest.raises(StoreUnavailable):
        store.write([pt("m1", T0)])


def test_a_bad_request_on_write_is_rejected() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/write":
            return httpx.Response(400, json={"error": "unable to parse"})
        return httpx.Response(200, json={"results": [{"statement_id": 0}]})

    with pytest.raises(StoreRejected, match="unable to parse"):
        faked(handler).write([pt("m1", T0)])


def test_a_timeout_is_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(StoreUnavailable):
        faked(handler).ping()


def test_error_messages_never_carry_the_password_or_token() -> None:
    store = faked(
        lambda request: httpx.Response(401, text="unauthorized"), url=f"http://kw:{SECRET}@127.0.0.1:1", token=SecretStr(SECRET)
    )
    with pytest.raises(StoreUnavailable) as raised:
        store.ping()
    assert SECRET not in str(raised.value)
