"""A register the meter cannot have reached is dead-lettered alone; ingest goes on for everyone.

A finite register passes validation however large it is. Before, 5.0 followed by 1.7e308
made ``round(delta * 1e6)`` raise OverflowError in the writer thread: no message of any
site was acknowledged again, and after a restart the redelivered message stopped it again.
"""

from __future__ import annotations

from core.domain import Reading
from tests.ingest.conftest import METERS, NOW, OTHER_METERS, OTHER_SITE, SITE, stored, wait_dead_letters, wait_stored
from tests.support import wait_for

LOBBY, PUMP, HVAC = METERS[0].meter_id, METERS[1].meter_id, OTHER_METERS[0].meter_id
T0 = NOW - 3600


def test_a_register_of_1e308_is_dead_lettered_and_every_site_keeps_flowing(worker, publisher, store, sessions):
    publisher.reading(LOBBY, T0, 5.0)
    wait_stored(store, LOBBY, 1)
    publisher.reading(LOBBY, T0 + 900, 1.7e308)
    publisher.reading(LOBBY, T0 + 1800, 5.5)
    publisher.reading(HVAC, T0 + 900, 300.0, site=OTHER_SITE.site_id)

    assert [(p.register, p.energy) for p in wait_stored(store, LOBBY, 2)] == [(5.0, 0.0), (5.5, 0.5)]
    wait_stored(store, HVAC, 1)
    [row] = wait_dead_letters(sessions, 1)
    assert row.kind == "implausible_register"
    assert b"1.7e+308" in row.payload
    assert worker.stats.rejected["implausible_register"] == 1
    assert worker.error is None


def test_a_rise_far_beyond_the_meters_rated_power_adds_no_energy(worker, publisher, store, sessions):
    # The lobby meter is rated 4 kW: 1 kWh in 15 minutes at most, 999,948 kWh is a wrong register.
    publisher.batch(
        [
            Reading(SITE.site_id, LOBBY, T0, 52.0),
            Reading(SITE.site_id, LOBBY, T0 + 900, 1_000_000.0),
            Reading(SITE.site_id, PUMP, T0 + 900, 7.0),
        ]
    )
    publisher.reading(LOBBY, T0 + 1800, 53.0)

    assert [p.energy for p in wait_stored(store, LOBBY, 2)] == [0.0, 1.0]
    [row] = wait_dead_letters(sessions, 1)
    assert row.kind == "implausible_register"
    assert "rated 4 kW" in row.reason
    assert store.energy_by_meter(site_id=SITE.site_id, start=0, end=2**31) == {LOBBY: 1.0, PUMP: 0.0}


def test_a_replaced_meter_counting_from_higher_up_is_stored_again_from_its_second_reading(worker, publisher, store, sessions):
    publisher.readings(LOBBY, [(T0, 5.0), (T0 + 900, 40_000.0), (T0 + 1800, 40_000.5), (T0 + 2700, 40_001.0)])

    points = wait_stored(store, LOBBY, 3)
    assert [(p.register, p.energy) for p in points] == [(5.0, 0.0), (40_000.5, 0.0), (40_001.0, 0.5)]
    assert [row.kind for row in wait_dead_letters(sessions, 1)] == ["implausible_register"]
    wait_for(lambda: worker.stats.resets == 1, what="the new level counted as a reset")
    assert stored(store, LOBBY)[-1].register == 40_001.0
