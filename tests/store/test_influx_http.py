"""What both InfluxDB backends share: write bodies, the error a failed request becomes, addresses without passwords."""

from __future__ import annotations

import pytest

from core.settings import StoreSettings
from core.store import StoreRejected, StoreUnavailable
from core.store.influx_http import bodies, failure, redacted
from core.store.influx_v1 import InfluxV1Store
from core.store.influx_v2 import InfluxV2Store
from tests.store.points import T0, pt
from tests.support import free_port

SECRET = "s3cr3t-p4ss"


def test_bodies_hold_at_most_the_given_number_of_lines() -> None:
    assert list(bodies(["a", "b", "c"], 2)) == [b"a\nb", b"c"]


@pytest.mark.parametrize("status", [0, 401, 403, 404, 408, 429, 500, 503])
def test_server_credential_and_rate_failures_are_retried(status: int) -> None:
    assert isinstance(failure(status, "m"), StoreUnavailable)


@pytest.mark.parametrize("status", [400, 413, 422])
def test_other_client_errors_refuse_the_data(status: int) -> None:
    assert isinstance(failure(status, "m", "unable to parse"), StoreRejected)


def test_a_full_influxdb_index_is_retried_with_a_hint() -> None:
    error = failure(400, "write failed", "partial write: max-values-per-tag limit exceeded (100000/100000)")
    assert isinstance(error, StoreUnavailable) and "max-values-per-tag = 0" in str(error)


@pytest.mark.parametrize(
    "url",
    [
        f"http://kw:{SECRET}@db.example:8086",
        f"https://kw:{SECRET}@[::1]:8086/influx",
        f"http://:{SECRET}@db.example:8086",
        "http://kw:s3cr3t@p4ss@db.example:8086",  # an unescaped @: httpx still connects to db.example
        f"postgresql+psycopg://kw:{SECRET}@db.example:8086/kilowatch",
    ],
)
def test_redacted_addresses_keep_the_host_and_hide_the_password(url: str) -> None:
    shown = redacted(url)
    assert "s3cr3t" not in shown and "p4ss" not in shown and "8086" in shown and "***" in shown


def test_an_address_without_credentials_is_shown_as_given() -> None:
    assert redacted("http://127.0.0.1:8086") == "http://127.0.0.1:8086"


def test_an_unparsable_address_shows_nothing_of_itself() -> None:
    assert SECRET not in redacted(f"kw:{SECRET}@db.example:8086")


@pytest.mark.parametrize("backend", ["influx1", "influx2"])
def test_errors_name_the_server_without_its_password(backend: str) -> None:
    port = free_port()
    settings = StoreSettings(backend=backend, url=f"http://kw:{SECRET}@127.0.0.1:{port}", timeout_s=2.0)
    store = InfluxV1Store(settings) if backend == "influx1" else InfluxV2Store(settings)
    try:
        with pytest.raises(StoreUnavailable) as raised:
            store.write([pt("m1", T0)])
    finally:
        store.close()
    assert SECRET not in str(raised.value) and f"127.0.0.1:{port}" in str(raised.value)
