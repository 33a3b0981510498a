"""A shared-group worker checks redelivered readings it finds stored already.

A worker killed between writing a batch and reconciling it leaves points whose energies
were computed against a stale predecessor, and its messages unacknowledged. The broker
hands them to another member, which finds the readings stored and writes nothing: it
must still check them against the store, or the dead worker's energies stay wrong.
"""

from __future__ import annotations

import pytest

from core.domain import EnergyPoint
from tests.ingest.conftest import METERS, NOW, SITE, stored
from tests.support import wait_for

LOBBY = METERS[0]
T0 = NOW - 86400
STEP = 900


def point(i: int, register: float, energy: float) -> EnergyPoint:
    return EnergyPoint(SITE.site_id, LOBBY.meter_id, LOBBY.category.value, T0 + i * STEP, register, energy)


@pytest.fixture
def left_by_a_dead_worker(store) -> None:
    """The store after two workers of a group wrote one meter's readings, one dying before its check.

    Worker B wrote readings 0, 1 and 3, each checked against the store it read. The dead
    worker knew only reading 0 and wrote reading 2 against it (after B's check of 3), then
    was killed before reading the store: 2 and 3 both count the interval from 1 to 2.
    """
    store.write([point(0, 100.0, 0.0), point(1, 100.5, 0.5), point(3, 101.5, 1.0)])
    store.write([point(2, 101.0, 1.0)])


def test_a_redelivered_reading_found_stored_already_is_reconciled(left_by_a_dead_worker, start_worker, publisher, store):
    worker = start_worker(worker_args={"reconcile": True})
    publisher.announce(SITE, METERS)
    wait_for(lambda: worker.stats.announcements >= 1, what="announcement applied")

    publisher.reading(LOBBY.meter_id, T0 + 2 * STEP, 101.0)  # the dead worker's message, redelivered
    wait_for(lambda: worker.stats.duplicates == 1 and worker.stats.pending == 0, what="the redelivered reading settled")

    assert [p.energy for p in stored(store, LOBBY.meter_id)] == pytest.approx([0.0, 0.5, 0.5, 0.5])
    assert worker.stats.stored == 0, "the reading was stored already: nothing to write but corrections"
