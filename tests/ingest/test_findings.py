"""Data findings: resets, rollovers, late readings and stale meters become rows the API can show."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.db.tables import DataFindingRecord
from core.domain import Meter, MeterCategory
from tests.ingest.conftest import METERS, NOW, SITE, stored, wait_dead_letters, wait_stored
from tests.support import wait_for

LOBBY = METERS[0].meter_id
T0 = NOW - 3600
ROLLING = [Meter(LOBBY, SITE.site_id, MeterCategory.LOBBY_LIGHTING, 4.0, register_max=99999.99), METERS[1]]


def findings(sessions, kind: str | None = None) -> list[DataFindingRecord]:
    with sessions() as session:
        query = select(DataFindingRecord).order_by(DataFindingRecord.id)
        if kind is not None:
            query = query.where(DataFindingRecord.kind == kind)
        return list(session.scalars(query))


def wait_findings(sessions, kind: str, count: int) -> list[DataFindingRecord]:
    return wait_for(lambda: (rows := findings(sessions, kind)) and len(rows) == count and rows, what=f"{count} {kind} findings")


class Clock:
    """The worker's clock, moved by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_meter_replacement_is_a_closed_register_reset_finding(worker, publisher, sessions):
    publisher.readings(LOBBY, [(T0, 5000.0), (T0 + 900, 5001.0), (T0 + 1800, 0.3)])

    [row] = wait_findings(sessions, "register_reset", 1)

    assert (row.meter_id, row.site_id, row.source) == (LOBBY, SITE.site_id, "ingest")
    assert (row.started_at, row.ended_at, row.open) == (T0 + 1800, T0 + 1800, False)
    assert json.loads(row.detail)["previous_register"] == 5001.0


def test_a_register_wrapping_at_its_announced_maximum_is_a_rollover_with_its_energy(start_worker, publisher, store, sessions):
    worker = start_worker()
    publisher.announce(SITE, ROLLING)
    wait_for(lambda: worker.stats.announcements >= 1, what="announcement applied")

    publisher.readings(LOBBY, [(T0, 99998.5), (T0 + 900, 99999.5), (T0 + 1800, 0.49)])

    assert [p.energy for p in wait_stored(store, LOBBY, 3)] == pytest.approx([0.0, 1.0, 0.98])
    [row] = wait_findings(sessions, "register_rollover", 1)
    assert row.started_at == T0 + 1800
    assert worker.stats.rollovers == 1 and worker.stats.resets == 0


def test_late_readings_of_a_meter_are_one_out_of_order_finding_per_batch(worker, publisher, store, sessions):
    publisher.readings(LOBBY, [(T0, 1.0), (T0 + 2700, 4.0)])
    wait_stored(store, LOBBY, 2)

    publisher.readings(LOBBY, [(T0 + 900, 2.0), (T0 + 1800, 3.0)])

    wait_stored(store, LOBBY, 4)
    rows = wait_for(lambda: findings(sessions, "out_of_order"), what="out-of-order finding")
    assert {(r.started_at, r.ended_at) for r in rows} <= {(T0 + 900, T0 + 1800), (T0 + 900, T0 + 900), (T0 + 1800, T0 + 1800)}
    assert sum(json.loads(r.detail)["readings"] for r in rows) == 2


def test_dead_letters_carry_a_machine_readable_kind(worker, publisher, sessions):
    publisher.reading("a-ghost", T0, 1.0)

    [row] = wait_dead_letters(sessions, 1)

    assert row.kind == "unknown_meter"


def test_a_meter_silent_for_four_of_its_intervals_raises_an_open_stale_finding(start_worker, publisher, store, sessions):
    clock = Clock(NOW)
    worker = start_worker(clock=clock, worker_args={"stale_check_s": 0.05})
    publisher.announce(SITE, METERS)
    wait_for(lambda: worker.stats.announcements >= 1, what="announcement applied")
    publisher.readings(LOBBY, [(NOW - 2700, 1.0), (NOW - 1800, 2.0), (NOW - 900, 3.0)])
    wait_stored(store, LOBBY, 3)

    clock.now = NOW + 3 * 900
    assert findings(sessions, "stale_meter") == []  # four intervals have not passed yet
    clock.now = NOW + 4 * 900 + 60

    [row] = wait_findings(sessions, "stale_meter", 1)
    assert (row.meter_id, row.started_at, row.open, row.ended_at) == (LOBBY, NOW - 900, True, None)
    assert json.loads(row.detail)["interval_s"] == 900


def test_a_stale_finding_closes_when_the_meter_speaks_again(start_worker, publisher, store, sessions):
    clock = Clock(NOW)
    worker = start_worker(clock=clock, worker_args={"stale_check_s": 0.05})
    publisher.announce(SITE, METERS)
    wait_for(lambda: worker.stats.announcements >= 1, what="announcement applied")
    publisher.readings(LOBBY, [(NOW - 1800, 1.0), (NOW - 900, 2.0)])
    wait_stored(store, LOBBY, 2)
    clock.now = NOW + 2 * 3600
    wait_findings(sessions, "stale_meter", 1)

    publisher.reading(LOBBY, NOW + 2 * 3600 - 60, 9.0)

    row = wait_for(lambda: (r := findings(sessions, "stale_meter")[0]) and not r.open and r, what="finding closed")
    assert row.ended_at == NOW + 2 * 3600 - 60
    assert len(stored(store, LOBBY)) == 3
