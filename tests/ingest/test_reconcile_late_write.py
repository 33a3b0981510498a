"""A points write the client gave up on may land after the worker reconciled: it is checked again.

InfluxDB carries out a write whose client stopped waiting (a read timeout, a dropped
connection): the request lands whenever the server gets to it. Here the I/O boundary (an
httpx transport) reports the first points request timed out at once and delivers it to a
real InfluxDB a second later, after the worker has retried, reconciled and acknowledged.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from core.domain import EnergyPoint
from core.settings import StoreSettings
from core.store.influx_v1 import InfluxV1Store
from tests.ingest.conftest import METERS, NOW, SITE, stored
from tests.support import wait_for

LOBBY = METERS[0]
T0 = NOW - 86400
STEP = 900
#: The late request reaches InfluxDB this long after the client gave up on it...
LATE_BY_S = 1.0
#: ...within the window the worker allows a failed write to land in.
LATE_WRITE_S = 2.5


def point(i: int, register: float, energy: float) -> EnergyPoint:
    return EnergyPoint(SITE.site_id, LOBBY.meter_id, LOBBY.category.value, T0 + i * STEP, register, energy)


class LateTransport(httpx.BaseTransport):
    """Once armed, reports the first points request timed out and sends it ``late_by_s`` later."""

    def __init__(self, late_by_s: float) -> None:
        self._inner = httpx.HTTPTransport()
        self._late_by_s = late_by_s
        self._late: threading.Timer | None = None
        self.armed = False
        #: The HTTP status InfluxDB gave the late request, once it has landed.
        self.landed: int | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.armed and self._late is None and request.url.path == "/write" and b",energy=" in request.read():
            late = httpx.Request(request.method, request.url, headers=request.headers, content=request.content)
            self._late = threading.Timer(self._late_by_s, self._deliver, (late,))
            self._late.start()
            raise httpx.ReadTimeout("injected: no answer in time, the request goes on", request=request)
        return self._inner.handle_request(request)

    def _deliver(self, request: httpx.Request) -> None:
        response = self._inner.handle_request(request)
        response.read()
        response.close()
        self.landed = response.status_code

    def close(self) -> None:
        if self._late is not None:
            self._late.join()
        self._inner.close()


@pytest.fixture
def late(influxdb) -> Iterator[tuple[InfluxV1Store, LateTransport]]:
    transport = LateTransport(LATE_BY_S)
    settings = StoreSettings(backend="influx1", url=influxdb.url, database=influxdb.new_database(), timeout_s=2)
    store = InfluxV1Store(settings, transport=transport)
    yield store, transport
    store.close()


def test_a_points_write_landing_after_reconciliation_is_corrected_again(late, start_worker, publisher):
    store, transport = late
    # Another worker of the group wrote readings 0 and 2; ours gets reading 1, older than
    # the newest it knows, so it writes energy 0.0 and leaves the interval to reconciliation.
    store.write([point(0, 100.0, 0.0), point(2, 101.0, 1.0)])
    worker = start_worker(on_store=store, worker_args={"reconcile": True, "late_write_s": LATE_WRITE_S})
    publisher.announce(SITE, METERS)
    wait_for(lambda: worker.stats.announcements >= 1, what="announcement applied")
    transport.armed = True

    publisher.reading(LOBBY.meter_id, T0 + STEP, 100.4)
    wait_for(lambda: transport.landed is not None, timeout=10, what="the late request landing")
    wait_for(lambda: worker.stats.out_of_order == 1 and worker.stats.pending == 0, timeout=10, what="the reading settled")

    assert transport.landed == 204
    assert [p.energy for p in stored(store, LOBBY.meter_id)] == pytest.approx([0.0, 0.4, 0.6])
