"""The API process keeps InfluxDB carbon rollups in the background, so a request does not build them."""

from __future__ import annotations

import time
from dataclasses import replace

from fastapi.testclient import TestClient

from api.app import create_app
from api.rollup_keeper import HISTORY_MONTHS, KEEP_DAYS, RollupKeeper
from core.domain import EnergyPoint
from core.settings import StoreSettings
from core.store import line_protocol as lp
from core.store.influx_v1 import InfluxV1Store
from tests.api.conftest import QUIET
from tests.carbon.ledgers import local
from tests.support import wait_for

DAY = 86400


def test_the_keeper_builds_the_rollups_of_a_backfill_without_any_request(world, settings, influxdb):
    store = InfluxV1Store(StoreSettings(backend="influx1", url=influxdb.url, database=influxdb.new_database()))
    try:
        # A backfill written as an older kilowatch did: points ten days ago, no rollup, no marker.
        ten_days_ago = int(time.time()) - 10 * DAY
        store.write_lines(
            lp.encode_all(
                [EnergyPoint("sh-a", "a-corr", "corridor_lighting", ten_days_ago + 60 * i, 100.0 + i, 1.0) for i in range(3)]
            )
        )
        with TestClient(create_app(settings, store, world.sessions, replace(QUIET, rollup_keep_s=0.2))) as client:
            keeper = client.app.state.rollup_keeper
            wait_for(lambda: keeper.runs >= 1, timeout=60, what="a round of the rollup keeper")
        documents = [s for answer in store.query_many(['SELECT * FROM "rollup_day" WHERE "site" = \'sh-a\'']) for s in answer]
        assert documents, "the keeper wrote no day document for the backfilled site"
    finally:
        store.close()


def test_stores_that_keep_their_own_rollups_need_no_keeper(world, settings):
    assert not RollupKeeper(world.store, 1.0).needed  # the embedded store keeps them at write time
    with TestClient(create_app(settings, world.store, world.sessions, replace(QUIET, rollup_keep_s=0.05))) as client:
        time.sleep(0.2)
        assert client.app.state.rollup_keeper.runs == 0


def test_the_keeper_looks_back_over_the_recent_past():
    asked = []

    class Store:
        def keep_rollups(self, *, start, end):
            asked.append((start, end))

    RollupKeeper(Store(), 1.0).keep_once(now=1_800_000_000)
    assert asked[0] == (1_800_000_000 - KEEP_DAYS * DAY, 1_800_000_000)


def test_the_keeper_builds_one_older_month_a_round_back_to_its_history_then_again():
    asked = []

    class Store:
        def keep_rollups(self, *, start, end):
            asked.append((start, end))

    keeper, now = RollupKeeper(Store(), 1.0), local(2027, 3, 15)  # the recent past starts in February
    for _ in range(HISTORY_MONTHS + 1):
        keeper.keep_once(now=now)

    older = asked[1::2]
    assert older[:3] == [
        (local(2027, 1, 1), local(2027, 2, 1)),
        (local(2026, 12, 1), local(2027, 1, 1)),
        (local(2026, 11, 1), local(2026, 12, 1)),
    ]
    assert older[HISTORY_MONTHS - 1][0] == local(2025, 2, 1) and older[HISTORY_MONTHS] == older[0]
