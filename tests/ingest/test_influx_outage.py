"""The real InfluxDB stopped for longer than the retry budget: nothing is lost, energy stays right."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.settings import StoreSettings
from core.store.influx_v1 import InfluxV1Store
from tests.ingest.conftest import METERS, NOW, SITE, wait_stored
from tests.support import wait_for

LOBBY = METERS[0].meter_id
T0 = NOW - 6 * 3600


@pytest.fixture
def influx_store(influxdb) -> Iterator[InfluxV1Store]:
    store = InfluxV1Store(StoreSettings(backend="influx1", url=influxdb.url, database=influxdb.new_database(), timeout_s=2))
    yield store
    store.close()


def test_readings_spooled_while_influxdb_is_stopped_are_all_stored_after_it_starts(
    influxdb, influx_store, start_worker, publisher, tmp_path
):
    worker = start_worker(on_store=influx_store, worker_args={"spool_path": tmp_path / "spool", "retry_budget_s": 0.5})
    publisher.announce(SITE, METERS)
    publisher.readings(LOBBY, [(T0 + i * 900, 100.0 + i) for i in range(4)])
    wait_stored(influx_store, LOBBY, 4)
    # InfluxDB 1.6.7 on a busy machine can answer a first write with HTTP 500 "write failed"
    # and still keep the points: the worker retries that batch. Stop the server only once
    # the worker itself counts the four as stored, so exactly the next six go to the spool.
    wait_for(lambda: worker.stats.stored == 4 and worker.stats.pending == 0, what="the first readings settled")

    influxdb.stop()
    try:
        publisher.readings(LOBBY, [(T0 + i * 900, 100.0 + i) for i in range(4, 10)])
        wait_for(lambda: worker.stats.spooled == 6, timeout=20, what="readings spooled while InfluxDB is down")
        assert worker.stats.pending == 0  # spooled readings are acknowledged
    finally:
        influxdb.start()

    points = wait_stored(influx_store, LOBBY, 10)
    assert [p.energy for p in points] == pytest.approx([0.0] + [1.0] * 9)
    assert sum(p.energy for p in points) == pytest.approx(points[-1].register - points[0].register)
    wait_for(lambda: not list((tmp_path / "spool").glob("*.seg")), what="spool emptied")
