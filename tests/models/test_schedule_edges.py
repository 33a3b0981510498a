"""The edges of a learned schedule: an hour's move is learned, and followers up together at an
edge are the site open, not waste (session 6, the realistic scenario)."""

from __future__ import annotations

import numpy as np

from models.opening import SMALL_CONFIRM_DAYS, learn
from models.together import open_together
from tests.models.test_opening import FIRST, PRIOR, site


def test_a_span_closing_an_hour_later_for_good_is_a_change() -> None:
    # Session 5 called an hour's move noise forever: a mall's 21:30 close becoming 23:30 (spans
    # 10-22, then 9-23) raised alerts at its edge hours for eleven days.
    ts, kwh, meters, hour, ordinal, workday = site(lambda d: (8, 19) if d < 14 else (8, 20))
    learned = learn(PRIOR, ts, kwh, meters, hour, ordinal, workday)
    assert [(c.ordinal, c.after, c.initial) for c in learned.changes] == [(FIRST + 14, (8, 20), False)]
    assert learned.is_open(hour, workday, ordinal)[24 * 15 + 19] == 1.0
    # Believed once its third working day is over (days 14, 15, 16: a Monday to a Wednesday).
    assert learned.believed_since == (14 + SMALL_CONFIRM_DAYS) * 86400


def test_an_hours_move_on_two_days_only_is_not_a_change() -> None:
    ts, kwh, meters, hour, ordinal, workday = site(lambda d: (8, 20) if d in (14, 15) else (8, 19))
    assert learn(PRIOR, ts, kwh, meters, hour, ordinal, workday).changes == []


def test_a_change_turns_its_edge_hours_too() -> None:
    # 8-19 to 7-21: 7, 19 and 20 changed their open state; 18 (the old last hour), 6 and 21 (beyond
    # the new ends) are where a half-hour close or opening the span cannot resolve now draws.
    ts, kwh, meters, hour, ordinal, workday = site(lambda d: (8, 19) if d < 14 else (7, 21))
    learned = learn(PRIOR, ts, kwh, meters, hour, ordinal, workday)
    turned = learned.turned_at(ts)
    for h in (6, 7, 8, 18, 19, 20, 21):
        assert turned[24 * 15 + h], h
    assert not turned[24 * 15 + 12] and not turned[24 * 15 + 2] and not turned[24 * 10 + 21]


def test_a_change_turns_the_edge_hour_of_an_end_its_spans_keep() -> None:
    # A mall whose 9:00-23:30 became 8:30-24:00 shows spans 9-24 then 8-24: its 23:00 hour went
    # from half open to open, a level the spans cannot show, and its lobby lights and a lift
    # alerted there every day after the change (realistic seed 31337). The kept end's last hour
    # (here 8-19 to 7-19: 18) is the change's too; the hours inside and beyond it are not.
    ts, kwh, meters, hour, ordinal, workday = site(lambda d: (8, 19) if d < 14 else (7, 19))
    learned = learn(PRIOR, ts, kwh, meters, hour, ordinal, workday)
    assert [c.after for c in learned.changes] == [(7, 19)]
    turned = learned.turned_at(ts)
    assert turned[24 * 15 + 18]
    assert not turned[24 * 15 + 17] and not turned[24 * 15 + 19] and not turned[24 * 10 + 18]


OPEN = np.array([0] * 8 + [1] * 11 + [0] * 5, dtype=float)  # 8:00-19:00, one day
FOLLOWERS = np.array([True, True, True, False])


def scores_with(up: dict[int, list[int]]) -> np.ndarray:
    """A day of scores (24 x 4 meters, the last one not a follower), 10 at the given hours."""
    s = np.zeros((24, 4))
    for meter, hours in up.items():
        s[hours, meter] = 10.0
    return s


def test_followers_up_together_just_after_closing_are_the_site_open() -> None:
    together = open_together(scores_with({0: [19, 20], 1: [19, 20]}), FOLLOWERS, OPEN)
    assert together[19] and together[20] and together.sum() == 2


def test_one_follower_up_after_closing_is_its_own_waste() -> None:
    assert not open_together(scores_with({0: [19, 20]}), FOLLOWERS, OPEN).any()


def test_meters_that_are_not_followers_do_not_make_the_site_open() -> None:
    assert not open_together(scores_with({0: [19], 3: [19]}), FOLLOWERS, OPEN).any()


def test_followers_up_in_the_middle_of_the_night_are_not_an_edge() -> None:
    assert not open_together(scores_with({0: [2], 1: [2]}), FOLLOWERS, OPEN).any()


def test_followers_on_all_night_are_left_on_not_the_site_open() -> None:
    # Two lifts idling together from the evening on: up at the edge, and up at 23:00 too.
    assert not open_together(scores_with({0: [19, 20, 21, 22, 23], 1: [19, 20, 21, 22, 23]}), FOLLOWERS, OPEN).any()


def test_hours_a_change_turned_are_not_judged_until_training_holds_their_new_normal() -> None:
    from models.features import HOUR_COL, WORKDAY_COL
    from models.scoring import _unlearnt

    ts, kwh, meters, hour, ordinal, workday = site(lambda d: (8, 19) if d < 14 else (7, 21))
    learned = learn(PRIOR, ts, kwh, meters, hour, ordinal, workday)
    X = np.zeros((ts.size, 4))
    X[:, HOUR_COL], X[:, WORKDAY_COL] = hour, workday
    first = 24 * 15  # the scan: day 15 on (a Tuesday)
    for train_days, expect in ((14, True), (15, False)):  # training up to the change, or with its first day
        unlearnt = _unlearnt(learned, ts, X, ts < train_days * 86400, first)
        assert unlearnt[20] == expect  # 20:00 of day 15, open since the change
        assert not unlearnt[12]  # noon: the change did not turn it


def test_a_follower_a_little_up_in_the_night_still_counts_as_up_at_the_edge() -> None:
    # A park's chiller and HVAC up 20-25 at its new 19:00 close; the chiller near 4 all night (warm).
    scores = scores_with({0: [19, 20], 1: [19, 20]})
    scores[21:, 1] = 4.0
    together = open_together(scores, FOLLOWERS, OPEN)
    assert together[19] and together[20]


def test_followers_up_through_the_third_hour_after_closing_are_the_site_open() -> None:
    # A close moved from 19:00 to 21:30: HVAC and chiller up at 19, 20 and 21 from the first day.
    together = open_together(scores_with({0: [19, 20, 21], 1: [19, 20, 21]}), FOLLOWERS, OPEN)
    assert together[19] and together[20] and together[21]


def test_a_cells_old_normal_runs_up_to_the_latest_change_that_turned_it() -> None:
    # Closing at 19, then at 17 for a week, then at 20: the evening cells' normal before the
    # latest change is the old one, not only before the first change. Superseding only up to the
    # first change kept a week of the 17:00 close in the 18:00 cell beside two days of the new
    # normal: an office's lobby light alerted at 17:00 three days running (realistic seed 2027).
    # (Days 7-11 of ``site`` are the May Day holidays, which confirm no change: weeks 2 and 3.)
    ts, kwh, meters, hour, ordinal, workday = site(lambda d: (8, 19) if d < 14 else (8, 17) if d < 21 else (8, 20))
    learned = learn(PRIOR, ts, kwh, meters, hour, ordinal, workday)
    assert [c.after for c in learned.changes] == [(8, 17), (8, 20)]
    superseded = learned.superseded_at(ts)
    assert superseded[24 * 17 + 18] and superseded[24 * 3 + 18]  # 18:00 before the latest change
    assert not superseded[24 * 17 + 12] and not superseded[24 * 22 + 18]
