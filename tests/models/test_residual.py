"""ResidualDetector: persistent excess becomes an episode; spikes and noise do not."""

from __future__ import annotations

import numpy as np

from models.residual import ResidualDetector

SCALE = 0.3


def quiet_day(seed: int, n: int = 48) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    expected = np.full(n, 5.0)
    return expected + SCALE * rng.standard_normal(n), expected


def test_finds_an_injected_six_hour_excess_with_its_hours() -> None:
    actual, expected = quiet_day(seed=1)
    actual[20:26] += 3.0
    (episode,) = ResidualDetector().episodes(actual, expected, SCALE)
    assert (episode.start, episode.stop) == (20, 26)
    assert episode.excess_hours == 6 and not episode.ongoing


def test_ignores_a_single_hour_spike() -> None:
    actual, expected = quiet_day(seed=2)
    actual[30] += 10.0
    assert ResidualDetector().episodes(actual, expected, SCALE) == []


def test_noise_alone_raises_no_episode_in_a_year_of_hours() -> None:
    actual, expected = quiet_day(seed=3, n=365 * 24)
    assert ResidualDetector().episodes(actual, expected, SCALE) == []


def test_consumption_below_expected_is_never_an_episode() -> None:
    actual, expected = quiet_day(seed=4)
    actual[10:20] = 0.0  # a reset or an outage reads as zero
    assert ResidualDetector().episodes(actual, expected, SCALE) == []


def test_a_short_dip_inside_waste_keeps_one_episode() -> None:
    actual, expected = quiet_day(seed=5)
    actual[10:18] += 3.0
    actual[13] = expected[13]
    episodes = ResidualDetector(max_gap_hours=2).episodes(actual, expected, SCALE)
    assert [(e.start, e.stop) for e in episodes] == [(10, 18)]


def test_unknown_hours_are_never_flagged() -> None:
    actual, expected = quiet_day(seed=6)
    actual[5:15] = np.nan
    detector = ResidualDetector()
    assert not detector.flags(detector.score(actual, expected, SCALE))[5:15].any()


def test_excess_reaching_the_end_of_the_data_is_ongoing() -> None:
    actual, expected = quiet_day(seed=7)
    actual[44:] += 3.0
    (episode,) = ResidualDetector().episodes(actual, expected, SCALE)
    assert episode.ongoing and episode.stop == 48


def test_scores_are_higher_for_more_excess() -> None:
    scores = ResidualDetector().score(np.array([5.0, 6.0, 8.0]), np.full(3, 5.0), SCALE)
    assert scores[0] < scores[1] < scores[2]
