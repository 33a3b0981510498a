"""The two-sided scorer on seeded synthetic meters: both directions, flat lines, a quiet normal."""

from __future__ import annotations

import numpy as np

from models.anomaly import ABOVE, BELOW, FLAT, TwoSidedScorer

WEEKS = 12


def office(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Twelve weeks of an office: 100 kWh open (weekdays 8-19), 30 closed, 3 % noise."""
    hours = np.arange(WEEKS * 168)
    hour, weekday = hours % 24, (hours // 24) % 7
    open_ = (weekday < 5) & (hour >= 8) & (hour < 19)
    kwh = np.where(open_, 100.0, 30.0) * (1 + 0.03 * np.random.default_rng(seed).standard_normal(hours.size))
    return kwh, hour, weekday


def kinds_at(result, start: int, stop: int) -> set[str]:
    return {result.kinds[n] for n in np.unique(result.episode[start:stop]) if n > 0}


def test_a_normal_meter_gets_no_flag_and_typical_scores_near_one() -> None:
    kwh, hour, day = office()
    result = TwoSidedScorer().score(kwh, hour, day)
    assert not result.flag.any()
    assert 0.5 < np.median(result.score) < 1.5


def test_an_outage_is_flagged_below() -> None:
    kwh, hour, day = office()
    start = 6 * 168 + 2 * 24 + 9  # a Wednesday at 09:00, for eight hours
    kwh[start : start + 8] = 0.0
    result = TwoSidedScorer().score(kwh, hour, day)
    assert result.flag[start : start + 8].all()
    assert kinds_at(result, start, start + 8) == {BELOW}
    assert result.score[start : start + 8].min() > np.quantile(result.score, 0.95)


def test_lights_left_on_all_night_are_flagged_above() -> None:
    kwh, hour, day = office()
    night = 6 * 168 + 1 * 24 + 20  # Tuesday 20:00 to Wednesday 06:00
    kwh[night : night + 10] += 40.0
    result = TwoSidedScorer().score(kwh, hour, day)
    assert result.flag[night : night + 10].mean() > 0.8
    assert kinds_at(result, night, night + 10) == {ABOVE}


def test_a_gap_filled_by_interpolation_across_closing_time_is_a_flat_line() -> None:
    kwh, hour, day = office()
    start = 4 * 168 + 14  # Monday 14:00 to midnight, drawn as one straight line
    kwh[start : start + 10] = np.linspace(kwh[start], kwh[start + 10], 10)
    result = TwoSidedScorer().score(kwh, hour, day)
    assert FLAT in kinds_at(result, start, start + 10)


def test_a_constant_load_at_its_normal_level_is_not_a_flat_line() -> None:
    kwh, hour, day = office()
    start = 4 * 168 + 9
    kwh[start : start + 8] = 100.0  # a coarse register reading a steady load
    result = TwoSidedScorer().score(kwh, hour, day)
    assert not result.flag[start : start + 8].any()


def test_missing_hours_get_no_score_and_do_not_stop_scoring() -> None:
    kwh, hour, day = office()
    kwh[500:540] = np.nan
    result = TwoSidedScorer().score(kwh, hour, day)
    assert np.isnan(result.score[500:540]).all()
    assert np.isfinite(result.score[:500]).all() and not result.flag.any()


def test_a_causal_scorer_expects_from_the_past_only() -> None:
    kwh, hour, day = office()
    later = kwh.copy()
    later[-168:] *= 3.0  # the last week changes; what the weeks before expected must not
    cut = kwh.size - 168
    first = TwoSidedScorer(causal=True).score(kwh, hour, day).expected[:cut]
    second = TwoSidedScorer(causal=True).score(later, hour, day).expected[:cut]
    np.testing.assert_array_equal(first, second)


def seasonal_office(seed: int, weeks: int = 30) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The office of :func:`office` at a level that goes from 1x to 3x and back over the series,
    with noise that grows with the level (5 %), as a building's does."""
    hours = np.arange(weeks * 168)
    hour, weekday = hours % 24, (hours // 24) % 7
    open_ = (weekday < 5) & (hour >= 8) & (hour < 19)
    season = 2.0 - np.cos(2 * np.pi * hours / hours.size)
    noise = 1 + 0.05 * np.random.default_rng(seed).standard_normal(hours.size)
    return np.where(open_, 100.0, 30.0) * season * noise, hour, weekday, season


def test_a_dip_in_the_quiet_season_outranks_every_ordinary_hour_of_the_busy_season() -> None:
    for seed in range(4):
        kwh, hour, day, season = seasonal_office(seed)
        start = 3 * 168 + 2 * 24 + 9  # a quiet-season Wednesday at 09:00, six hours at 70 %
        kwh[start : start + 6] *= 0.7
        result = TwoSidedScorer().score(kwh, hour, day)
        busy = season > 2.5
        assert result.score[start : start + 6].min() > result.score[busy].max(), seed


def test_after_a_long_outage_the_first_normal_week_ranks_below_the_outage() -> None:
    # Twelve weeks off in forty: longer than the local reference's reach, so the weeks around the
    # return expect almost nothing; the return is news, but less abnormal than the outage itself.
    hours = np.arange(40 * 168)
    hour, weekday = hours % 24, (hours // 24) % 7
    open_ = (weekday < 5) & (hour >= 8) & (hour < 19)
    for seed in range(3):
        kwh = np.where(open_, 100.0, 30.0) * (1 + 0.03 * np.random.default_rng(seed).standard_normal(hours.size))
        start, stop = 10 * 168, 22 * 168
        kwh[start:stop] = 0.0
        result = TwoSidedScorer().score(kwh, hour, weekday)
        assert np.median(result.score[stop : stop + 168]) < np.median(result.score[start:stop]), seed
