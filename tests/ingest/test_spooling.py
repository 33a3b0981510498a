"""A store away for longer than the retry budget: readings are spooled, acknowledged, replayed later."""

from __future__ import annotations

import pytest

from tests.ingest.conftest import METERS, NOW, SITE, FaultyStore, stored, wait_stored
from tests.support import wait_for

LOBBY = METERS[0].meter_id
T0 = NOW - 3600
#: Short enough for a quick test; what matters is that the outage outlasts it.
BUDGET_S = 0.3


@pytest.fixture
def faulty(store) -> FaultyStore:
    return FaultyStore(store)


@pytest.fixture
def spool_dir(tmp_path):
    return tmp_path / "spool"


@pytest.fixture
def spooling_worker(start_worker, publisher, faulty, spool_dir):
    def start(**worker_args):
        args = {"spool_path": spool_dir, "retry_budget_s": BUDGET_S} | worker_args
        worker = start_worker(on_store=faulty, worker_args=args)
        publisher.announce(SITE, METERS)
        wait_for(lambda: worker.stats.announcements >= 1, what="announcement applied")
        return worker

    return start


def test_readings_are_spooled_and_acknowledged_when_the_outage_outlasts_the_budget(
    spooling_worker, publisher, faulty, store, spool_dir
):
    worker = spooling_worker()
    faulty.down.set()

    publisher.readings(LOBBY, [(T0, 1.0), (T0 + 900, 2.0), (T0 + 1800, 3.5)])

    wait_for(lambda: worker.stats.acked == 4, what="announcement and readings acknowledged")
    assert worker.stats.spooled == 3
    assert worker.stats.pending == 0
    assert list(spool_dir.glob("*.seg"))
    assert stored(store, LOBBY) == []


def test_spooled_readings_are_replayed_with_their_energy_once_the_store_returns(
    spooling_worker, publisher, faulty, store, spool_dir
):
    worker = spooling_worker()
    faulty.down.set()
    publisher.readings(LOBBY, [(T0, 1.0), (T0 + 900, 2.0), (T0 + 1800, 3.5)])
    wait_for(lambda: worker.stats.spooled == 3, what="readings spooled")

    faulty.down.clear()

    assert [p.energy for p in wait_stored(store, LOBBY, 3)] == pytest.approx([0.0, 1.0, 1.5])
    wait_for(lambda: worker.stats.replayed == 3, what="replay counted")
    wait_for(lambda: not list(spool_dir.glob("*.seg")), what="spool segments deleted")


def test_readings_received_after_the_store_returns_continue_from_the_spooled_ones(spooling_worker, publisher, faulty, store):
    worker = spooling_worker()
    faulty.down.set()
    publisher.readings(LOBBY, [(T0, 10.0), (T0 + 900, 12.0)])
    wait_for(lambda: worker.stats.spooled == 2, what="readings spooled")
    faulty.down.clear()

    publisher.reading(LOBBY, T0 + 1800, 15.0)

    assert [p.energy for p in wait_stored(store, LOBBY, 3)] == pytest.approx([0.0, 2.0, 3.0])


def test_a_spool_left_by_a_stopped_worker_is_replayed_by_the_next_one(
    spooling_worker, publisher, faulty, store, start_worker, spool_dir
):
    first = spooling_worker()
    faulty.down.set()
    publisher.readings(LOBBY, [(T0, 5.0), (T0 + 900, 6.5)])
    wait_for(lambda: first.stats.acked == 3, what="readings spooled and acknowledged")
    first.stop()

    start_worker(on_store=store, worker_args={"spool_path": spool_dir})

    assert [p.energy for p in wait_stored(store, LOBBY, 2)] == pytest.approx([0.0, 1.5])
    wait_for(lambda: not list(spool_dir.glob("*.seg")), what="spool segments deleted")


def test_a_full_spool_stops_acknowledging_until_the_store_returns(spooling_worker, publisher, faulty, store):
    worker = spooling_worker(spool_max_bytes=1)
    faulty.down.set()
    publisher.readings(LOBBY, [(T0, 1.0), (T0 + 900, 2.0)])
    wait_for(lambda: worker.metrics_registry.get_sample_value("kilowatch_ingest_spool_full") == 1.0, what="spool full")
    assert worker.stats.acked == 1  # the announcement only
    assert worker.stats.spooled == 0

    faulty.down.clear()

    assert [p.energy for p in wait_stored(store, LOBBY, 2)] == pytest.approx([0.0, 1.0])
    wait_for(lambda: worker.stats.acked == 3, what="readings acknowledged")
    assert worker.metrics_registry.get_sample_value("kilowatch_ingest_spool_full") == 0.0


def test_stop_spools_and_acknowledges_what_the_unavailable_store_did_not_take(spooling_worker, publisher, faulty):
    # A budget far beyond the test: only stop() can make the worker give up on the store.
    worker = spooling_worker(retry_budget_s=600)
    faulty.down.set()
    publisher.readings(LOBBY, [(T0, 1.0), (T0 + 900, 2.0)])
    wait_for(lambda: worker.stats.pending == 2 and faulty.failures >= 1, what="readings received, write failing")

    worker.stop(timeout=0.5)

    assert worker.stats.spooled == 2
    assert worker.stats.acked == 3
    assert worker.stats.pending == 0


def test_spool_metrics_count_readings_and_bytes(spooling_worker, publisher, faulty):
    worker = spooling_worker()
    faulty.down.set()
    publisher.readings(LOBBY, [(T0, 1.0), (T0 + 900, 2.0)])
    wait_for(lambda: worker.stats.spooled == 2, what="readings spooled")

    def sample(name: str) -> float | None:
        return worker.metrics_registry.get_sample_value(name)

    assert sample("kilowatch_ingest_spooled_readings_total") == 2.0
    assert sample("kilowatch_ingest_spooled_bytes_total") > 0
    assert sample("kilowatch_ingest_spool_bytes") == sample("kilowatch_ingest_spooled_bytes_total")

    faulty.down.clear()

    wait_for(lambda: sample("kilowatch_ingest_replayed_readings_total") == 2.0, what="replayed metric")
    wait_for(lambda: sample("kilowatch_ingest_spool_bytes") == 0.0, what="spool emptied")
