"""A batch written in chunks, one in flight while the next is computed: stored whole and in order,
acknowledged only once every chunk is written, and nothing lost when a write sent ahead fails.

Failures are injected at the store boundary (a store that fails or holds the writes made on
the write-ahead thread); the broker and the store underneath are real.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from core.domain import EnergyPoint, Reading
from core.store.base import StoreUnavailable
from ingest import pipeline
from tests.ingest.conftest import METERS, NOW, SITE, FaultyStore, stored, wait_stored
from tests.support import wait_for

LOBBY = METERS[0].meter_id
T0 = NOW - 4 * 3600
#: Ten readings of one meter in one gateway batch: four chunks of three.
SERIES = [(T0 + i * 900, 10.0 + i * 1.5) for i in range(10)]
ENERGIES = [0.0] + [1.5] * 9


@pytest.fixture(autouse=True)
def chunks_of_three(monkeypatch):
    monkeypatch.setattr(pipeline, "CHUNK_READINGS", 3)


def _ahead() -> bool:
    return threading.current_thread().name.startswith(pipeline.WRITE_THREAD)


class FailsAhead(FaultyStore):
    """Fails the first write made on the write-ahead thread (an InfluxDB blip), then writes fine."""

    def __init__(self, inner) -> None:
        super().__init__(inner)
        self.ahead_failures = 0

    def write(self, points: Sequence[EnergyPoint]) -> None:
        if _ahead() and self.ahead_failures == 0:
            self.ahead_failures += 1
            raise StoreUnavailable("injected blip")
        super().write(points)


class HeldAhead(FaultyStore):
    """Holds every write made on the write-ahead thread until ``release`` (a slow InfluxDB)."""

    def __init__(self, inner) -> None:
        super().__init__(inner)
        self.holding, self.release = threading.Event(), threading.Event()

    def write(self, points: Sequence[EnergyPoint]) -> None:
        if _ahead():
            self.holding.set()
            self.release.wait(10)
        super().write(points)


def _batch(series) -> list[Reading]:
    return [Reading(SITE.site_id, LOBBY, ts, register) for ts, register in series]


@pytest.fixture
def announced(start_worker, publisher):
    def start(store=None, **worker_args):
        worker = start_worker(on_store=store, worker_args=worker_args)
        publisher.announce(SITE, METERS)
        wait_for(lambda: worker.stats.announcements >= 1 and worker.stats.acked >= 1, what="announcement applied")
        return worker

    return start


def test_a_batch_of_several_chunks_is_stored_whole_with_each_readings_energy(announced, publisher, store):
    worker = announced()

    publisher.batch(_batch(SERIES))

    assert [p.energy for p in wait_stored(store, LOBBY, len(SERIES))] == pytest.approx(ENERGIES)
    wait_for(lambda: worker.stats.acked == 2, what="batch acknowledged")


def test_a_batch_is_acknowledged_only_once_every_chunk_is_written(announced, publisher, store):
    held = HeldAhead(store)
    worker = announced(held)

    publisher.batch(_batch(SERIES))
    assert held.holding.wait(10)
    assert worker.stats.acked == 1 and worker.stats.stored == 0  # a chunk is on its way: nothing settled

    held.release.set()
    wait_for(lambda: worker.stats.acked == 2, what="batch acknowledged")
    assert [p.energy for p in stored(store, LOBBY)] == pytest.approx(ENERGIES)


def test_a_write_sent_ahead_that_fails_is_written_again_in_order(announced, publisher, store):
    flaky = FailsAhead(store)
    worker = announced(flaky)

    publisher.batch(_batch(SERIES))

    assert [p.energy for p in wait_stored(store, LOBBY, len(SERIES))] == pytest.approx(ENERGIES)
    wait_for(lambda: worker.stats.acked == 2, what="batch acknowledged")
    assert flaky.ahead_failures == 1 and worker.stats.store_errors == 1 and worker.stats.spooled == 0


def test_a_batch_whose_chunks_cannot_be_written_is_spooled_whole_and_replayed_in_order(announced, publisher, store, tmp_path):
    faulty = FaultyStore(store)
    worker = announced(faulty, spool_path=tmp_path / "spool", retry_budget_s=0.3)
    faulty.down.set()

    publisher.batch(_batch(SERIES))
    wait_for(lambda: worker.stats.spooled == len(SERIES) and worker.stats.acked == 2, what="batch spooled and acknowledged")
    assert stored(store, LOBBY) == []
    faulty.down.clear()

    assert [p.energy for p in wait_stored(store, LOBBY, len(SERIES))] == pytest.approx(ENERGIES)
