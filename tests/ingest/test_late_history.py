"""History that arrives after newer readings counts once, with its own energy.

Gateways upload buffered history after an outage, so readings older than a meter's newest
stored one are normal. Before, each was stored with energy 0.0: with no reading before the
late block its energy was lost (carbon said 0 kWh), and otherwise the whole span stayed
on the one newer reading.
"""

from __future__ import annotations

import pytest

from core.domain import Reading
from tests.ingest.conftest import METERS, NOW, SITE, stored, wait_stored
from tests.support import wait_for

LOBBY = METERS[0].meter_id
T21 = NOW - 4 * 3600  # "21:00"
QUARTER = 900


def late_block(registers: list[float]) -> list[Reading]:
    return [Reading(SITE.site_id, LOBBY, T21 + i * QUARTER, r) for i, r in enumerate(registers)]


def test_history_before_the_only_stored_reading_gets_its_energy(worker, publisher, store):
    publisher.reading(LOBBY, T21 + 3600, 110.0)  # "22:00"
    wait_stored(store, LOBBY, 1)
    publisher.batch(late_block([100.0, 102.0, 105.0, 108.0]))

    points = wait_stored(store, LOBBY, 5)
    assert [p.energy for p in points] == pytest.approx([0.0, 2.0, 3.0, 3.0, 2.0])
    assert store.energy_by_meter(site_id=SITE.site_id, start=0, end=2**31)[LOBBY] == pytest.approx(110.0 - 100.0)
    wait_for(lambda: worker.stats.out_of_order == 4, what="four late readings counted")


def test_history_after_a_stored_reading_splits_the_energy_it_had_put_on_one_point(worker, publisher, store):
    publisher.readings(LOBBY, [(T21 - QUARTER, 99.0), (T21 + 3600, 110.0)])
    assert [p.energy for p in wait_stored(store, LOBBY, 2)] == [0.0, 11.0]
    publisher.batch(late_block([100.0, 102.0, 105.0, 108.0]))

    points = wait_stored(store, LOBBY, 6)
    assert [p.energy for p in points] == pytest.approx([0.0, 1.0, 2.0, 3.0, 3.0, 2.0])
    assert sum(p.energy for p in points) == pytest.approx(110.0 - 99.0)


def test_history_in_one_batch_with_a_newer_reading_counts_once(worker, publisher, store):
    newest = Reading(SITE.site_id, LOBBY, T21 + 3600, 110.0)
    publisher.batch([newest, *late_block([100.0, 102.0, 105.0, 108.0])])

    points = wait_stored(store, LOBBY, 5)
    assert sum(p.energy for p in points) == pytest.approx(10.0)
    assert points[-1].energy == pytest.approx(2.0)


def test_history_sent_again_changes_nothing(worker, publisher, store):
    publisher.reading(LOBBY, T21 + 3600, 110.0)
    wait_stored(store, LOBBY, 1)
    publisher.batch(late_block([100.0, 102.0, 105.0, 108.0]))
    before = wait_stored(store, LOBBY, 5)
    publisher.batch(late_block([100.0, 102.0, 105.0, 108.0]))

    wait_for(lambda: worker.stats.duplicates == 4, what="the repeat counted as duplicates")
    assert stored(store, LOBBY) == before
