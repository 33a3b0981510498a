"""Interval energy from cumulative registers, per meter."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from core.domain import EnergyPoint, Meter, MeterCategory, Reading
from ingest.energy import EnergyTracker, Outcome, Step, interval_energy
from ingest.late import place_late


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


# Up to 20,000 kWh a quarter hour: what a meter without a rating may plausibly count (UNRATED_KW).
@given(st.lists(st.floats(min_value=0, max_value=2e4, allow_nan=False), min_size=1, max_size=50))
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


# --- implausible rises -------------------------------------------------------------

TEN_KW = Meter("m1", "s1", MeterCategory.PUBLIC_HVAC, rated_kw=10.0)
UNRATED = Meter("m1", "s1", MeterCategory.PUBLIC_HVAC, rated_kw=0.0)


def test_a_register_of_1e308_is_implausible_and_does_not_move_the_meter():
    tracker = EnergyTracker()
    tracker.classify(reading(0, 5.0), TEN_KW)

    assert tracker.classify(reading(900, 1.7e308), TEN_KW).step is Step.IMPLAUSIBLE
    assert tracker.classify(reading(1800, 5.5), TEN_KW).energy == pytest.approx(0.5)


@pytest.mark.parametrize("meter", [TEN_KW, UNRATED, None])
def test_a_huge_register_is_implausible_for_any_meter(meter):
    tracker = EnergyTracker()
    tracker.classify(reading(0, 5.0), meter)

    assert tracker.classify(reading(900, 1.7e308), meter).step is Step.IMPLAUSIBLE


def test_a_first_reading_above_any_register_is_implausible():
    assert EnergyTracker().classify(reading(0, 1.7e308), TEN_KW).step is Step.IMPLAUSIBLE


def test_a_rise_is_judged_against_the_rated_power_over_the_interval():
    tracker = EnergyTracker()
    tracker.classify(reading(0, 52.0), TEN_KW)

    # 10 kW for 15 minutes is 2.5 kWh; 999,948 kWh is a wrong register, not consumption.
    assert tracker.classify(reading(900, 1_000_000.0), TEN_KW).step is Step.IMPLAUSIBLE
    # Up to RISE_HEADROOM x rated (plus a register step) still counts: loads overrun their rating.
    assert tracker.classify(reading(1800, 60.0), TEN_KW).energy == pytest.approx(8.0)


def test_without_a_rating_only_a_generous_generic_ceiling_applies():
    tracker = EnergyTracker()
    tracker.classify(reading(0, 52.0), UNRATED)

    assert tracker.classify(reading(900, 10_052.0), UNRATED).energy == pytest.approx(10_000.0)
    assert tracker.classify(reading(1800, 10_052.0 + 1e6), UNRATED).step is Step.IMPLAUSIBLE


def test_a_frozen_register_that_catches_up_keeps_its_energy():
    tracker = EnergyTracker()
    for i in range(9):  # two hours at 100.0: the gateway repeated a stale value
        tracker.classify(reading(i * 900, 100.0), TEN_KW)

    # 15 kWh in the last quarter hour is 60 kW, but over the 2h15 since the register last moved it is 6.7 kW.
    assert tracker.classify(reading(9 * 900, 115.0), TEN_KW).energy == pytest.approx(15.0)


def test_a_meter_that_starts_again_higher_is_a_reset_from_its_second_reading_there():
    tracker = EnergyTracker()
    tracker.classify(reading(0, 5.0), TEN_KW)

    assert tracker.classify(reading(900, 50_000.0), TEN_KW).step is Step.IMPLAUSIBLE
    assert tracker.classify(reading(1800, 50_001.0), TEN_KW)[:2] == (Step.RESET, 0.0)
    assert tracker.classify(reading(2700, 50_002.5), TEN_KW).energy == pytest.approx(1.5)


def test_two_corrupt_readings_that_disagree_never_become_the_base():
    tracker = EnergyTracker()
    tracker.classify(reading(0, 5.0), TEN_KW)

    assert tracker.classify(reading(900, 1.7e308), TEN_KW).step is Step.IMPLAUSIBLE
    assert tracker.classify(reading(1800, 1.7e308), TEN_KW).step is Step.IMPLAUSIBLE
    assert tracker.classify(reading(2700, 90_000.0), TEN_KW).step is Step.IMPLAUSIBLE
    assert tracker.classify(reading(3600, 6.0), TEN_KW).energy == pytest.approx(1.0)


def test_a_rolled_back_batch_forgets_an_implausible_reading_too():
    tracker = EnergyTracker()
    tracker.classify(reading(0, 5.0), TEN_KW)
    tracker.begin()
    tracker.classify(reading(900, 50_000.0), TEN_KW)
    tracker.rollback()

    assert tracker.classify(reading(1800, 50_001.0), TEN_KW).step is Step.IMPLAUSIBLE


def test_interval_energy_never_raises_for_finite_registers():
    for previous, register in [(5.0, 1.7e308), (0.0, 1.7976931348623157e308), (1e308, 1.7e308)]:
        step, energy = interval_energy(previous, register, 900, TEN_KW)
        assert (step, energy) == (Step.IMPLAUSIBLE, 0.0)


# --- late readings ---------------------------------------------------------------


def point(ts: int, register: float, energy: float = 0.0) -> EnergyPoint:
    return EnergyPoint("s1", "m1", "public_hvac", ts, register, energy)


def test_late_readings_before_the_first_stored_one_get_their_energy_and_it_gets_the_rest():
    # 22:00 stored first (energy 0: nothing before it), then 21:00-21:45 arrive.
    late = [point(i * 900, 100.0 + 2 * i) for i in range(5)]
    placed, refused = place_late(late + [point(5 * 900, 110.0)], {p.ts for p in late}, TEN_KW)

    assert refused == []
    assert [(p.ts, p.energy) for p, _step, _prev in placed] == [
        (0, 0.0),
        (900, 2.0),
        (1800, 2.0),
        (2700, 2.0),
        (3600, 2.0),
        (4500, 2.0),
    ]
    assert sum(p.energy for p, _step, _prev in placed) == pytest.approx(110.0 - 100.0)


def test_late_readings_between_stored_ones_split_the_energy_of_the_interval_they_fall_in():
    before, after = point(0, 90.0), point(4 * 900, 110.0, energy=20.0)
    late = [point(900, 95.0), point(1800, 100.0)]
    placed, _ = place_late([before, *late, after], {900, 1800}, TEN_KW)

    assert [(p.ts, p.energy) for p, _step, _prev in placed] == [(900, 5.0), (1800, 5.0), (3600, 10.0)]


def test_a_late_reading_that_rises_implausibly_from_its_predecessor_is_refused():
    placed, refused = place_late([point(0, 5.0), point(900, 1.7e308), point(1800, 5.5, 0.5)], {900}, TEN_KW)

    assert refused == [900]
    assert placed == []


def test_a_late_reading_that_would_make_its_successor_rise_implausibly_is_refused():
    # A glitch to zero between 100 and 101: the reading after it would "use" 101 kWh in 15 minutes.
    placed, refused = place_late([point(0, 100.0), point(900, 0.0), point(1800, 101.0, 1.0)], {900}, TEN_KW)

    assert refused == [900]
    assert placed == []


def test_a_late_reading_next_to_a_meter_that_started_again_higher_is_kept():
    # 5.0 -> 50,000 was a replacement (stored as a reset); a late 5.1 between them fits.
    placed, refused = place_late([point(0, 5.0), point(900, 5.1), point(1800, 50_000.0)], {900}, TEN_KW)

    assert refused == []
    assert [(p.ts, p.energy, step) for p, step, _prev in placed] == [
        (900, pytest.approx(0.1), Step.NEXT),
        (1800, 0.0, Step.IMPLAUSIBLE),
    ]


def test_a_rollover_of_an_absurd_register_max_does_not_overflow():
    meter = Meter("m", "s", MeterCategory.PV, 0.0, register_max=1.7e308)

    assert interval_energy(1.69e308, 5.0, 900, meter) == (Step.RESET, 0.0)


@given(
    st.lists(st.floats(min_value=0, max_value=2.0, allow_nan=False), min_size=2, max_size=40),
    st.data(),
)
def test_late_points_placed_in_any_order_leave_every_energy_the_rise_since_its_predecessor(increments, data):
    registers = [100.0]
    for increment in increments:
        registers.append(round(registers[-1] + increment, 3))
    everything = [point(i * 900, r) for i, r in enumerate(registers)]
    stored_first = data.draw(st.sets(st.integers(0, len(everything) - 1), min_size=1), label="stored first")
    # What was stored before the history came: energies since each stored point's stored predecessor.
    held: dict[int, EnergyPoint] = {}
    previous = None
    for p in everything:
        if p.ts // 900 in stored_first:
            held[p.ts] = p._replace(energy=0.0 if previous is None else round(p.register - previous.register, 6))
            previous = p
    # The rest arrives in batches, in an order of their own.
    late = [p for p in everything if p.ts not in held]
    order = data.draw(st.permutations(late), label="arrival order")
    for lo in range(0, len(order), 3):
        chunk = order[lo : lo + 3]
        placed, refused = place_late(sorted([*held.values(), *chunk], key=lambda p: p.ts), {p.ts for p in chunk}, TEN_KW)
        assert refused == []
        held.update({p.ts: p for p, _step, _prev in placed})

    final = [held[p.ts] for p in everything]
    assert final[0].energy == 0.0
    for before, after in zip(final, final[1:], strict=False):
        assert after.energy == pytest.approx(after.register - before.register, abs=1e-6)


_METERS = {
    "m1": Meter("m1", "s1", MeterCategory.PUBLIC_HVAC, 50.0),
    "m2": Meter("m2", "s1", MeterCategory.PUBLIC_HVAC, 0.0, register_max=100.0),
    "m3": Meter("m3", "s1", MeterCategory.PUBLIC_HVAC, 1.0, register_max=99.99),
}
_readings = st.lists(
    st.tuples(
        st.sampled_from(sorted(_METERS)),
        st.integers(min_value=0, max_value=40).map(lambda i: i * 450),
        st.one_of(
            st.floats(min_value=0, max_value=120, allow_nan=False).map(lambda x: round(x, 3)),
            st.sampled_from([0.0, 1.0, 1.25, 99.99, 100.0, 5e11, 2e12, float("nan")]),
        ),
    ),
    max_size=60,
)


def _as_outcome(result: float | Outcome) -> tuple:
    """A ``classify_all`` result as ``classify`` says it (a float is the energy of a NEXT reading)."""
    if isinstance(result, float):
        return (Step.NEXT, result)
    return (result.step, result.energy)


@given(_readings, st.integers(min_value=1, max_value=20), st.integers(min_value=0, max_value=60))
def test_classifying_a_batch_at_once_is_classifying_each_reading_in_turn(items, chunk, rolled_back_at):
    one_by_one, at_once = EnergyTracker(), EnergyTracker()
    pairs = [(Reading("s1", meter, ts, register), _METERS[meter]) for meter, ts, register in items]
    for start in range(0, len(pairs), chunk):
        part = pairs[start : start + chunk]
        undo = start <= rolled_back_at < start + chunk  # one batch is not stored after all
        for tracker in (one_by_one, at_once):
            tracker.begin()
        expected = [one_by_one.classify(reading, meter) for reading, meter in part]
        got = at_once.classify_all(part)
        assert [_as_outcome(r) for r in got] == [(o.step, o.energy) for o in expected]
        for tracker in (one_by_one, at_once):
            tracker.rollback() if undo else tracker.commit()
    assert list(at_once.newest()) == list(one_by_one.newest())
    # What comes next is judged alike too: the jumps and registers remembered are the same.
    for meter, _ts, _register in items:
        after = Reading("s1", meter, 40 * 450 + 900, 1.5)
        assert _as_outcome(at_once.classify_all([(after, _METERS[meter])])[0]) == _as_outcome(
            one_by_one.classify(after, _METERS[meter])
        )


def test_a_steady_batch_is_classified_as_each_meter_s_next_energy():
    tracker = EnergyTracker()
    meter = _METERS["m1"]
    tracker.classify(reading(0, 10.0), meter)

    got = tracker.classify_all([(reading(900 * i, 10.0 + 0.1 * i), meter) for i in range(1, 5)])

    assert got == [pytest.approx(0.1)] * 4
    assert tracker.usual_interval("m1") == 900


def test_a_batch_classified_at_once_is_forgotten_by_a_rollback():
    tracker = EnergyTracker()
    meter = _METERS["m1"]
    tracker.classify(reading(0, 10.0), meter)
    batch = [(reading(900, 10.5), meter), (reading(1800, 11.0), meter)]

    tracker.begin()
    tracker.classify_all(batch)
    tracker.rollback()

    assert tracker.classify_all(batch) == [pytest.approx(0.5), pytest.approx(0.5)]


def test_a_meter_counting_on_after_a_jump_forgets_the_jump_when_classified_at_once():
    meter = _METERS["m3"]  # rated 1 kW: at most 4 kWh (plus one) an hour
    one_by_one, at_once = EnergyTracker(), EnergyTracker()
    for tracker in (one_by_one, at_once):
        tracker.classify(reading(0, 10.0), meter)
        assert tracker.classify(reading(900, 60.0), meter).step is Step.IMPLAUSIBLE

    assert _as_outcome(at_once.classify_all([(reading(1800, 10.5), meter)])[0]) == (Step.NEXT, pytest.approx(0.5))
    one_by_one.classify(reading(1800, 10.5), meter)
    # 60.5 rises plausibly from the jump at 60.0, not from 10.5: implausible, since the jump is forgotten.
    after = reading(2700, 60.5)
    assert at_once.classify_all([(after, meter)])[0].step is Step.IMPLAUSIBLE
    assert one_by_one.classify(after, meter).step is Step.IMPLAUSIBLE
