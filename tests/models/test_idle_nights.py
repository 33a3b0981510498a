"""A lift left idling night after night is one episode, not an alert a night (issue 12, realistic seed 99)."""

from __future__ import annotations

import numpy as np

from models.residual import ResidualDetector

SCALE = 0.3
RATED = 10.0


def lift(days: int, closed_hours: set[int], seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Quiet hours of a lift over ``days``; its kinds (idle at night and while closed) and closed hours."""
    hours = np.arange(24 * days) % 24
    closed = np.isin(hours, sorted(closed_hours))
    kinds = np.where(closed | (hours >= 22) | (hours < 6), "elevator_idle", "baseline_excess").astype(object)
    rng = np.random.default_rng(seed)
    expected = np.full(hours.size, 1.0)
    return expected + SCALE * rng.standard_normal(hours.size), expected, kinds, closed


def episodes(actual, expected, kinds, closed):
    return ResidualDetector().episodes(actual, expected, np.full(actual.size, SCALE), kinds, RATED, closed=closed)


def test_a_residential_lift_idling_three_nights_is_one_episode() -> None:
    # Open 5:00-24:00: the lift's nights are 00:00-05:00, 19 open hours apart (it was one alert a
    # night: 18 hours was the longest day joined, an office's).
    actual, expected, kinds, closed = lift(3, set(range(5)))
    for d in range(3):
        actual[24 * d : 24 * d + 5] += 5.0
    (ep,) = episodes(actual, expected, kinds, closed)
    assert (ep.start, ep.stop) == (0, 53) and ep.ongoing


def test_the_same_idle_draw_the_next_night_is_the_same_episode_across_hours_that_look_closed() -> None:
    # An office now closing at 23:00 whose later closing is not learnt yet (20:00-23:00 still
    # "closed"): its lift idles 23:00-07:00 two nights running at the same draw.
    actual, expected, kinds, closed = lift(2, {*range(7), 20, 21, 22, 23})
    actual[0:7] += 5.0
    actual[23:31] += 5.0
    (ep,) = episodes(actual, expected, kinds, closed)
    assert (ep.start, ep.stop) == (0, 31)


def test_another_draw_the_next_night_across_closed_hours_is_another_episode() -> None:
    actual, expected, kinds, closed = lift(2, {*range(7), 20, 21, 22, 23})
    actual[0:7] += 3.0
    actual[23:31] += 9.0
    assert len(episodes(actual, expected, kinds, closed)) == 2


def test_nights_two_days_apart_are_two_episodes() -> None:
    actual, expected, kinds, closed = lift(3, set(range(5)))
    actual[0:5] += 5.0
    actual[48:53] += 5.0
    assert len(episodes(actual, expected, kinds, closed)) == 2
