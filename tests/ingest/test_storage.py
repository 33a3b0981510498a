"""Readings of announced meters become energy points with the right interval energy."""

from __future__ import annotations

import pytest

from core.db.registry import load_meters
from core.domain import Reading
from tests.ingest.conftest import METERS, NOW, SITE, stored, wait_stored
from tests.support import wait_for

LOBBY, PUMP = METERS[0].meter_id, METERS[1].meter_id
T0 = NOW - 3600


def test_announcement_registers_site_and_meters(worker, sessions):
    with sessions() as session:
        meters = load_meters(session, site_id=SITE.site_id)
    assert set(meters) == {LOBBY, PUMP}


def test_per_meter_readings_are_stored_with_register_and_interval_energy(worker, publisher, store):
    publisher.readings(LOBBY, [(T0, 100.0), (T0 + 900, 101.25), (T0 + 1800, 103.0)])

    points = wait_stored(store, LOBBY, 3)

    assert [(p.ts, p.register) for p in points] == [(T0, 100.0), (T0 + 900, 101.25), (T0 + 1800, 103.0)]
    assert [p.energy for p in points] == pytest.approx([0.0, 1.25, 1.75])
    assert {p.category for p in points} == {"lobby_lighting"}


def test_batch_messages_are_stored_like_per_meter_readings(worker, publisher, store):
    publisher.batch([Reading(SITE.site_id, LOBBY, T0, 10.0), Reading(SITE.site_id, PUMP, T0, 500.0)])
    publisher.batch([Reading(SITE.site_id, LOBBY, T0 + 900, 10.5), Reading(SITE.site_id, PUMP, T0 + 900, 503.0)])

    assert [p.energy for p in wait_stored(store, LOBBY, 2)] == pytest.approx([0.0, 0.5])
    assert [p.energy for p in wait_stored(store, PUMP, 2)] == pytest.approx([0.0, 3.0])


def test_first_reading_of_a_meter_has_zero_energy(worker, publisher, store):
    publisher.reading(PUMP, T0, 9000.0)

    assert wait_stored(store, PUMP, 1)[0].energy == 0.0


def test_duplicate_reading_is_counted_and_stored_once(worker, publisher, store):
    publisher.readings(LOBBY, [(T0, 100.0), (T0 + 900, 101.0), (T0 + 900, 101.0)])

    wait_for(lambda: worker.stats.duplicates == 1, what="duplicate counted")
    points = wait_stored(store, LOBBY, 2)
    assert [p.energy for p in points] == pytest.approx([0.0, 1.0])


def test_register_reset_gives_zero_energy_for_that_interval_and_positive_after(worker, publisher, store):
    publisher.readings(LOBBY, [(T0, 9999.0), (T0 + 900, 10000.5), (T0 + 1800, 0.5), (T0 + 2700, 1.25)])

    points = wait_stored(store, LOBBY, 4)

    assert [p.energy for p in points] == pytest.approx([0.0, 1.5, 0.0, 0.75])
    assert worker.stats.resets == 1


def test_out_of_order_reading_takes_its_share_of_the_next_ones_energy_keeping_the_sum(worker, publisher, store):
    publisher.readings(LOBBY, [(T0, 100.0), (T0 + 1800, 102.0)])
    wait_stored(store, LOBBY, 2)

    publisher.reading(LOBBY, T0 + 900, 101.0)

    points = wait_stored(store, LOBBY, 3)
    assert [p.energy for p in points] == pytest.approx([0.0, 1.0, 1.0])
    assert worker.stats.out_of_order == 1


def test_late_repeat_of_an_older_stored_reading_is_a_duplicate(worker, publisher, store):
    publisher.readings(LOBBY, [(T0, 100.0), (T0 + 900, 101.0), (T0 + 1800, 102.0)])
    wait_stored(store, LOBBY, 3)

    publisher.reading(LOBBY, T0 + 900, 101.0)

    wait_for(lambda: worker.stats.duplicates == 1, what="duplicate counted")
    assert [p.energy for p in stored(store, LOBBY)] == pytest.approx([0.0, 1.0, 1.0])


def test_stop_writes_everything_received_before_the_flush_deadline(start_worker, publisher, store):
    # A flush deadline far beyond the test: only stop() can have written these.
    worker = start_worker(flush_interval_s=600)
    publisher.announce(SITE, METERS)
    publisher.readings(LOBBY, [(T0, 1.0), (T0 + 900, 2.0), (T0 + 1800, 4.0)])
    wait_for(lambda: worker.stats.pending == 3, what="readings buffered")
    assert stored(store, LOBBY) == []

    worker.stop()

    assert [p.energy for p in stored(store, LOBBY)] == pytest.approx([0.0, 1.0, 2.0])
    assert worker.stats.pending == 0
