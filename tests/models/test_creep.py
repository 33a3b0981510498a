"""BaseLoadCreep: a steady rise of the closed-hours base load, not noise or a hot spell."""

from __future__ import annotations

import numpy as np

from models.creep import BaseLoadCreep
from models.held_creep import HeldCreep

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


def test_a_followed_creep_keeps_the_level_and_start_it_was_found_with() -> None:
    # The window has slid into the climb: its lowest days are the creep's own first days, so
    # against them the creep starts later and looks smaller; against its held level it does not.
    detector = BaseLoadCreep()
    extra = np.concatenate([np.zeros(2), np.linspace(0.02, 0.3, 18) * RATED, np.full(DAYS - 20, 0.3 * RATED)])
    kwh, closed = series(extra, 2)
    offset, base = detector.daily_base(kwh[:, None], closed)
    held = HeldCreep(start_ts=0, level_off=0.1 * RATED, level_working=0.1 * RATED, noise=0.1, climb=0.8)
    followed = detector.follow(base[:, 0], offset, RATED, held.reference(np.ones(DAYS, dtype=bool)), start=2 * 24)
    window = detector.find(base[:, 0], offset, RATED, detector.reference(base, days=detector.reference_days(base))[:, 0])
    assert followed is not None and followed.start == 2 * 24
    assert window is None or (window.start > followed.start and window.excess.sum() < 0.9 * followed.excess.sum())
    true_excess = 24 * extra.sum()
    assert abs(followed.excess.sum() - true_excess) < 0.05 * true_excess


def test_a_followed_creep_that_began_before_the_window_starts_with_it() -> None:
    detector = BaseLoadCreep()
    kwh, closed = series(np.full(DAYS, 0.2 * RATED), 3)
    offset, base = detector.daily_base(kwh[:, None], closed)
    found = detector.follow(base[:, 0], offset, RATED, np.full(base.shape[0], 0.1 * RATED), start=-100)
    assert found is not None and found.start == offset
    assert found.excess.size == kwh.shape[0] - offset


def test_a_followed_creep_is_gone_once_its_days_are_back_at_its_level() -> None:
    detector = BaseLoadCreep()
    extra = np.concatenate([np.linspace(0.02, 0.3, 10), np.full(DAYS - 13, 0.3), np.zeros(3)]) * RATED
    kwh, closed = series(extra, 4)
    offset, base = detector.daily_base(kwh[:, None], closed)
    assert detector.follow(base[:, 0], offset, RATED, np.full(base.shape[0], 0.1 * RATED), start=0) is None


def test_the_window_s_own_level_serves_only_while_its_lowest_days_are_flat() -> None:
    # Held from quiet days at 10 % of the rating, climbing 1.5 % of the rating a day. Windows
    # whose lowest days are: the creep's climb (not flat: the window's own noise, taken over the
    # climb, would call it flat), the quiet level, a flat level 10 % of the rating higher.
    detector = BaseLoadCreep()
    kinds = np.ones(DAYS, dtype=bool)
    kwh, closed = series(np.zeros(DAYS), 5)
    _, quiet = detector.daily_base(kwh[:, None], closed)
    level = np.full(DAYS, float(np.median(quiet)))
    climb = np.concatenate([np.zeros(8), np.linspace(0.015, 0.3, 20)]) * RATED
    found = detector.find(level + climb, 0, RATED, level)
    assert found is not None
    held = HeldCreep.of(0, found, quiet[:, 0], level, kinds)
    for extra, flat in (
        (np.concatenate([np.linspace(0.0, 0.3, 20), np.full(DAYS - 20, 0.3)]) * RATED, False),
        (np.concatenate([np.zeros(20), np.linspace(0.05, 0.3, DAYS - 20)]) * RATED, True),
        (np.concatenate([np.full(20, 0.1), np.linspace(0.15, 0.4, DAYS - 20)]) * RATED, True),
    ):
        kwh, closed = series(extra, 6)
        _, base = detector.daily_base(kwh[:, None], closed)
        days = detector.reference_days(base)
        assert held.is_level(base[:, 0], detector.reference(base, days=days)[:, 0], days[:, 0]) is flat


def test_a_leak_after_a_fixed_creep_is_not_read_as_a_climb_against_a_stale_level() -> None:
    # A creep held through the window's working days, so their level is the creep's; fixed on
    # day 22 (back to 5 kWh), then a leak steps to 15.6 the next night. Against a working-day
    # level of 11 and a day-off level of 6.5 the leak rose 4.6, then 9.1: a two-day "climb".
    rng = np.random.default_rng(3)
    workday = (np.arange(DAYS) % 7) < 5  # days 26 and 27 are days off
    base = np.full(DAYS, 16.5) + 0.1 * rng.standard_normal(DAYS)
    base[22] = 5.0
    base[23:] = 15.6 + 0.1 * rng.standard_normal(DAYS - 23)
    reference = np.where(workday, 11.0, 6.5)
    assert BaseLoadCreep().find(base, 0, RATED, reference) is None
