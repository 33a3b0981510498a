"""Interval energy from cumulative registers, per meter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain import EnergyPoint, Meter, MeterCategory, Reading
from ingest.energy import EnergyTracker, Step, interval_energy


def reading(ts: int, register: float, meter: str = "m1") -> Reading:
    return Reading("s1", meter, ts, register)


def test_a_seeded_meter_continues_from_the_stored_register():
    tracker = EnergyTracker()
    tracker.seed("s1", {"m1": EnergyPoint("s1", "m1", "pv", 900, 50.0, 1.0)})

    outcome = tracker.classify(reading(1800, 52.5))

    assert (outcome.step, outcome.energy) == (Step.NEXT, pytest.approx(2.5))


def test_seeding_never_moves_a_meter_back_in_time():
    tracker = EnergyTracker()
    tracker.classify(reading(1800, 60.0))
    tracker.seed("s1", {"m1": EnergyPoint("s1", "m1", "pv", 900, 50.0, 1.0)})

    assert tracker.classify(reading(2700, 61.0)).energy == pytest.approx(1.0)


def test_an_out_of_order_reading_does_not_move_the_meter():
    tracker = EnergyTracker()
    tracker.classify(reading(0, 10.0))
    tracker.classify(reading(1800, 12.0))

    assert tracker.classify(reading(900, 11.0)).step is Step.OUT_OF_ORDER
    assert tracker.classify(reading(2700, 13.0)).energy == pytest.approx(1.0)


def test_meters_are_tracked_independently():
    tracker = EnergyTracker()
    tracker.classify(reading(0, 10.0, meter="a"))

    assert tracker.classify(reading(900, 500.0, meter="b")).step is Step.FIRST


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=50))
def test_energies_of_a_rising_register_add_up_to_its_total_rise(increments):
    tracker = EnergyTracker()
    register, total = 0.0, 0.0
    tracker.classify(reading(0, register))
    for i, increment in enumerate(increments, start=1):
        register += increment
        total += tracker.classify(reading(i * 900, register)).energy

    assert total == pytest.approx(register, rel=1e-6, abs=1e-3)


ROLLING = Meter("m1", "s1", MeterCategory.LOBBY_LIGHTING, rated_kw=4.0, register_max=99999.99)


def test_a_register_that_wraps_past_its_maximum_is_a_rollover_with_the_energy_across_the_wrap():
    tracker = EnergyTracker()
    tracker.classify(reading(0, 99999.0), ROLLING)

    outcome = tracker.classify(reading(900, 0.5), ROLLING)

    assert (outcome.step, outcome.energy) == (Step.ROLLOVER, pytest.approx(1.49))


def test_a_drop_more_than_the_meter_could_use_across_a_wrap_is_a_reset():
    tracker = EnergyTracker()
    tracker.classify(reading(0, 99999.0), ROLLING)

    # 4 kW for 15 minutes is 1 kWh; "wrapping" to 500 would mean 500 kWh.
    outcome = tracker.classify(reading(900, 500.0), ROLLING)

    assert (outcome.step, outcome.energy) == (Step.RESET, 0.0)


def test_a_drop_far_from_the_maximum_is_a_reset():
    tracker = EnergyTracker()
    tracker.classify(reading(0, 5000.0), ROLLING)

    assert tracker.classify(reading(900, 0.2), ROLLING).step is Step.RESET


def test_without_a_known_maximum_every_drop_is_a_reset():
    meter = Meter("m1", "s1", MeterCategory.LOBBY_LIGHTING, rated_kw=4.0)
    tracker = EnergyTracker()
    tracker.classify(reading(0, 99999.0), meter)

    assert tracker.classify(reading(900, 0.5), meter).step is Step.RESET


def test_without_a_rated_power_a_rollover_may_use_one_percent_of_the_maximum():
    assert interval_energy(9990.0, 50.0, 900, Meter("m", "s", MeterCategory.PV, 0.0, register_max=10000.0))[0] is Step.ROLLOVER
    assert interval_energy(9990.0, 150.0, 900, Meter("m", "s", MeterCategory.PV, 0.0, register_max=10000.0))[0] is Step.RESET


def test_a_rolled_back_batch_is_forgotten_as_if_never_seen():
    tracker = EnergyTracker()
    tracker.classify(reading(0, 10.0))
    tracker.begin()
    tracker.classify(reading(900, 11.0))
    tracker.classify(reading(0, 5.0, meter="new"))
    tracker.rollback()

    assert tracker.classify(reading(900, 11.0)).energy == pytest.approx(1.0)
    assert tracker.classify(reading(0, 5.0, meter="new")).step is Step.FIRST


def test_the_usual_interval_is_the_median_of_the_recent_ones_so_one_gap_does_not_change_it():
    tracker = EnergyTracker()
    for ts in (0, 900, 1800, 2700, 9000):
        tracker.classify(reading(ts, float(ts)))

    assert list(tracker.newest()) == [("m1", 9000, 900)]
