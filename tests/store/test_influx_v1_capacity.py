"""A real InfluxDB 1.x that runs out of room for series: held back as an outage, never dead-lettered."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import StoreSettings
from core.store import StoreUnavailable
from core.store.influx_v1 import InfluxV1Store
from tests.fixtures.influx import InfluxServer
from tests.store.points import T0, pt
from tests.support import require_binary


def test_a_full_tag_index_is_an_outage_with_a_hint_and_the_retry_after_raising_the_limit_stores_all(tmp_path: Path) -> None:
    # The inmem index's max-values-per-tag (100,000 by default) refused the national
    # portfolio's 100,001st meter; here the limit is 3 meters.
    server = InfluxServer(
        binary=require_binary("influxd", "/usr/bin/influxd", package="influxdb"),
        workdir=tmp_path,
        data_options={"max-values-per-tag": 3},
    )
    server.start()
    try:
        store = InfluxV1Store(StoreSettings(backend="influx1", url=server.url, database="capacity", timeout_s=5))
        points = [pt(f"m{i}", T0) for i in range(5)]
        store.write(points[:3])  # the server checks the limit against the values it already holds
        with pytest.raises(StoreUnavailable, match="max-values-per-tag") as refused:
            store.write(points)
        assert "docs/scaling.md" in str(refused.value)

        server.stop()
        server.data_options = {"max-values-per-tag": 0}
        server.start()
        store.write(points)  # the retry of the whole batch, as ingest does it
        assert sorted(p.meter_id for p in store.points(start=T0, end=T0 + 1)) == [f"m{i}" for i in range(5)]
        store.close()
    finally:
        server.stop()
