"""A site's daily span comes from the followers of its doors, each category one vote (issue 12):
lifts follow the people, who leave before the doors close."""

from __future__ import annotations

import numpy as np

from core.domain import Meter, MeterCategory
from models.day_spans import daily_spans
from models.opening import learn
from tests.models.test_opening import FIRST, PRIOR

C = MeterCategory


def day(spans: list[tuple[int, int] | None], days: int = 1) -> np.ndarray:
    """``days`` identical days (days x 24 x meters), each meter on 1 inside its span, 0.1 outside."""
    hour = np.arange(24)[:, None]
    on = np.stack([np.zeros(24) if s is None else ((hour[:, 0] >= s[0]) & (hour[:, 0] < s[1])) for s in spans], axis=1)
    return np.repeat((0.1 + 0.9 * on)[None, :, :], days, axis=0)


def test_lifts_stopping_before_the_doors_close_do_not_close_the_site() -> None:
    # An office open 8:30-20:30 (spans 8-21): lobby lights and HVAC up through 20:00, its four
    # lifts from 7:00 to 20:00. The median over all eight closed it at 20:00.
    kinds = ["elevator"] * 4 + ["lobby_lighting"] * 2 + ["public_hvac"] * 2
    days = day([(7, 20)] * 4 + [(8, 21)] * 4)
    assert daily_spans(days, np.array(kinds)) == [(8, 21)]


def test_each_category_has_one_vote_and_an_even_split_takes_the_wider_span() -> None:
    # A mall closing at 21:30: its three HVAC units are weak in the half-open 21:00 hour, its two
    # lobby lights are not. Three against two by meter, one against one by category: 22.
    kinds = np.array(["public_hvac"] * 3 + ["lobby_lighting"] * 2)
    assert daily_spans(day([(10, 21)] * 3 + [(10, 22)] * 2), kinds) == [(10, 22)]
    # ... and the earlier start when they split on the opening.
    assert daily_spans(day([(10, 21)] * 3 + [(9, 21)] * 2), kinds) == [(9, 21)]


def test_a_door_follower_left_on_does_not_hand_the_span_to_the_lifts() -> None:
    # An office open 6:30-21:00: two lobby lights 6-21, its HVAC left on until midnight (8-24) or
    # on since the night before (0-21), four lifts 7-20. The two categories split, and the median
    # over all seven followers closed it at 20:00 (its HVAC then alerted at 20:00).
    kinds = np.array(["elevator"] * 4 + ["lobby_lighting"] * 2 + ["public_hvac"])
    assert daily_spans(day([(7, 20)] * 4 + [(6, 21)] * 2 + [(8, 24)]), kinds) == [(6, 21)]
    assert daily_spans(day([(7, 20)] * 4 + [(6, 21)] * 2 + [(0, 21)]), kinds) == [(6, 21)]


def office(doors_by_day, days: int = 28):
    """Four lifts up 7-20 every working day, two lobby lights and two HVAC units on the doors' span."""
    kinds = [C.ELEVATOR] * 4 + [C.LOBBY_LIGHTING] * 2 + [C.PUBLIC_HVAC] * 2
    meters = [Meter(f"m{i}", "s", c, 10.0) for i, c in enumerate(kinds)]
    workday = np.repeat([(d % 7) < 5 for d in range(days)], 24)
    kwh = np.concatenate([day([(7, 20)] * 4 + [doors_by_day(d)] * 4)[0] for d in range(days)])
    kwh = np.where(workday[:, None], kwh, 0.1) * (1 + 0.03 * np.random.default_rng(0).standard_normal(kwh.shape))
    hour, ordinal = np.tile(np.arange(24), days), np.repeat(FIRST + np.arange(days), 24)
    return 3600 * np.arange(24 * days), kwh, meters, hour, ordinal, workday


def test_a_learnt_office_is_open_in_its_last_hour() -> None:
    ts, kwh, meters, hour, ordinal, workday = office(lambda d: (8, 21))
    learned = learn(PRIOR, ts, kwh, meters, hour, ordinal, workday)
    assert [(c.initial, c.after) for c in learned.changes] == [(True, (8, 21))]
    assert learned.is_open(hour, workday, ordinal)[24 * 3 + 20] == 1.0


def test_doors_closing_later_are_believed_in_two_days_though_the_lifts_keep_their_hours() -> None:
    # The same office closing at 23:00 from day 14 (a Monday): lights and HVAC up to 23:00, the
    # lifts still quiet after 20:00. Over all eight followers the days split four against four.
    ts, kwh, meters, hour, ordinal, workday = office(lambda d: (8, 21) if d < 14 else (8, 23))
    learned = learn(PRIOR, ts, kwh, meters, hour, ordinal, workday)
    assert [(c.ordinal, c.after) for c in learned.changes if not c.initial] == [(FIRST + 14, (8, 23))]
    assert learned.believed_since == 16 * 86400


def test_without_door_followers_the_median_over_all_still_decides() -> None:
    kinds = np.array(["elevator"] * 3)
    assert daily_spans(day([(7, 20), (7, 20), (8, 21)]), kinds) == [(7, 20)]


def test_door_followers_that_disagree_leave_the_day_to_all_followers() -> None:
    # One lobby light on all day (no span), the HVAC 8-21, three lifts 8-20: the doors alone are
    # one meter, under the two that must agree; the median over all decides.
    kinds = np.array(["lobby_lighting", "public_hvac"] + ["elevator"] * 3)
    days = day([None, (8, 21)] + [(8, 20)] * 3)
    days[:, :, 0] = 1.0
    assert daily_spans(days, kinds) == daily_spans(days) == [(8, 20)]


PARK = np.array(["public_hvac", "chiller", "air_compressor", "elevator", "elevator"])


def test_a_day_whose_door_followers_swing_is_not_closed_though_they_disagree() -> None:
    # An industrial park's weekend: lifts still, compressor flat, chiller up 10-15, and the HVAC
    # up 10-15 and left on all evening. Three flat meters made the day "closed all day".
    assert daily_spans(day([(10, 24), (10, 15), None, None, None]), PARK) == [False]


def test_a_day_whose_door_followers_are_all_flat_is_closed() -> None:
    assert daily_spans(day([None] * 5), PARK) == [None]


def test_one_swinging_door_follower_does_not_open_a_closed_day() -> None:
    assert daily_spans(day([(10, 24), None, None, None, None]), PARK) == [None]
