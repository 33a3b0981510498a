"""Interval energy from cumulative registers, per meter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain import EnergyPoint, Reading
from ingest.energy import EnergyTracker, Step


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
