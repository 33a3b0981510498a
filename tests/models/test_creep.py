"""BaseLoadCreep: a steady rise of the closed-hours base load, not noise or a hot spell."""

from __future__ import annotations

import numpy as np

from models.creep import BaseLoadCreep

DAYS = 28
RATED = 50.0


def series(extra_per_day: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    hour = np.arange(DAYS * 24) % 24
    closed = (hour < 8) | (hour >= 20)
    base = np.where(closed, 0.1 * RATED, 0.6 * RATED) * (1 + 0.05 * rng.standard_normal(hour.size))
    return base + np.repeat(extra_per_day, 24), closed


def find(extra: np.ndarray, seed: int = 0):
    detector = BaseLoadCreep()
    kwh, closed = series(extra, seed)
    offset, base = detector.daily_base(kwh[:, None], closed)
    return detector.find(base[:, 0], offset, RATED)


def test_a_ramp_over_two_weeks_is_found_near_its_start() -> None:
    extra = np.concatenate([np.zeros(14), np.linspace(0, 0.25 * RATED, 14)])
    found = find(extra)
    assert found is not None and 12 * 24 <= found.start <= 19 * 24
    assert found.excess.sum() > 0


def test_noise_alone_is_not_a_creep() -> None:
    for seed in range(5):
        assert find(np.zeros(DAYS), seed) is None


def test_a_two_day_hot_spell_is_not_a_creep() -> None:
    extra = np.zeros(DAYS)
    extra[-6:-4] = 0.2 * RATED
    assert find(extra) is None


def test_a_step_that_stays_flat_is_not_a_creep() -> None:
    # A leak or a setting changed at once: full height on its first day, then flat.
    extra = np.zeros(DAYS)
    extra[-8:] = 0.2 * RATED
    assert find(extra) is None


def test_a_ramp_of_a_few_days_is_found() -> None:
    extra = np.zeros(DAYS)
    extra[-4:] = np.linspace(0.05, 0.25, 4) * RATED
    found = find(extra)
    assert found is not None and found.start >= (DAYS - 5) * 24


def test_each_day_is_compared_with_the_reference_of_its_own_kind() -> None:
    # A pump idling lower on days off, its ramp's latest days at a weekend: read against
    # the working days' level, the ramp is hidden.
    detector = BaseLoadCreep()
    workday = ((np.arange(DAYS) - (DAYS - 2)) % 7) >= 2
    extra = np.where(workday, 0.0, -0.1 * RATED)
    extra[-4:] += np.linspace(0.04, 0.14, 4) * RATED
    kwh, closed = series(extra, 1)
    offset, base = detector.daily_base(kwh[:, None], closed)
    kinds = detector.day_kinds(np.repeat(workday, 24), offset)
    assert detector.find(base[:, 0], offset, RATED) is None
    found = detector.find(base[:, 0], offset, RATED, detector.reference(base, kinds)[:, 0])
    assert found is not None and found.start >= (DAYS - 5) * 24


def find_quietest(extra: np.ndarray, seed: int = 0):
    """As the scanner calls it: against the window's lowest days."""
    detector = BaseLoadCreep()
    kwh, closed = series(extra, seed)
    offset, base = detector.daily_base(kwh[:, None], closed)
    return detector.find(base[:, 0], offset, RATED, detector.reference(base, days=detector.reference_days(base))[:, 0])


def test_a_creep_that_has_held_its_level_for_a_week_is_still_found() -> None:
    extra = np.zeros(DAYS)
    extra[-14:-8] = np.linspace(0.03, 0.2, 6) * RATED
    extra[-8:] = 0.2 * RATED
    found = find_quietest(extra)
    assert found is not None and (DAYS - 15) * 24 <= found.start <= (DAYS - 12) * 24


def test_a_creep_after_an_earlier_one_is_measured_from_the_quiet_level() -> None:
    # The oldest days still hold a creep fixed since, and only five quiet days separate it
    # from the new one: against the oldest week the new one looks small.
    extra = np.zeros(DAYS)
    extra[:15] = 0.15 * RATED
    extra[-8:] = np.linspace(0.03, 0.2, 8) * RATED
    assert find(extra) is None
    found = find_quietest(extra)
    assert found is not None and found.start >= (DAYS - 9) * 24


def test_two_nights_of_waste_in_a_row_are_not_a_creep() -> None:
    extra = np.zeros(DAYS)
    extra[-2:] = np.array([0.1, 0.2]) * RATED
    assert find_quietest(extra) is None


def test_a_leak_that_began_during_a_day_is_not_a_creep() -> None:
    # Half of its first day's closed hours, then its full level.
    extra = np.zeros(DAYS)
    extra[-6] = 0.1 * RATED
    extra[-5:] = 0.2 * RATED
    assert find_quietest(extra) is None


def test_noise_alone_is_not_a_creep_against_the_lowest_days_either() -> None:
    # The lowest days sit a little under the typical day: that must stay far from a creep.
    assert all(find_quietest(np.zeros(DAYS), seed) is None for seed in range(20))
