"""Opening hours learned from a site's own load: a changed schedule is followed, one meter's waste is not."""

from __future__ import annotations

import numpy as np

from core.domain import Meter, MeterCategory
from models.opening import CONFIRM_DAYS, LearnedHours, learn
from models.schedule import OpeningHours

DAYS = 28
PRIOR = OpeningHours((8, 19), None)
FIRST = 739000  # a local date ordinal (working days are given, not derived from it)


def site(hours_by_day, waste_meter_nights: range | None = None, days: int = DAYS):
    """Three occupancy-following meters of an office, on 1 when open, 0.1 closed, 3 % noise."""
    rng = np.random.default_rng(0)
    ts = 3600 * np.arange(24 * days)
    hour = np.tile(np.arange(24), days)
    ordinal = np.repeat(FIRST + np.arange(days), 24)
    workday = np.repeat([(d % 7) < 5 for d in range(days)], 24)
    meters = [
        Meter(f"m{i}", "s", c, 10.0)
        for i, c in enumerate((MeterCategory.PUBLIC_HVAC, MeterCategory.LOBBY_LIGHTING, MeterCategory.ELEVATOR))
    ]
    kwh = np.zeros((hour.size, len(meters)))
    for d in range(days):
        span = hours_by_day(d) if (d % 7) < 5 else None
        rows = slice(24 * d, 24 * d + 24)
        on = np.zeros(24) if span is None else ((np.arange(24) >= span[0]) & (np.arange(24) < span[1])).astype(float)
        kwh[rows] = (0.1 + 0.9 * on)[:, None]
        if waste_meter_nights is not None and d in waste_meter_nights:
            kwh[rows, 0] = 1.0  # the HVAC left on all day and night
    kwh *= 1 + 0.03 * rng.standard_normal(kwh.shape)
    return ts, kwh, meters, hour, ordinal, workday


def test_a_site_keeping_its_declared_hours_learns_no_change() -> None:
    learned = learn(PRIOR, *site(lambda d: (8, 19)))
    assert learned.changes == []


def test_a_changed_schedule_is_in_force_from_its_first_day() -> None:
    ts, kwh, meters, hour, ordinal, workday = site(lambda d: (8, 19) if d < 14 else (7, 21))
    learned = learn(PRIOR, ts, kwh, meters, hour, ordinal, workday)
    assert len(learned.changes) == 1
    change = learned.changes[0]
    assert change.ordinal == FIRST + 14 and change.workday and change.after == (7, 21)
    opened = learned.is_open(hour, workday, ordinal)
    assert opened[24 * 15 + 20] == 1.0  # 20:00 after the change
    assert opened[24 * 10 + 20] == 0.0  # 20:00 before it: training keeps the old hours
    turned = learned.turned_at(ts)
    assert turned[24 * 15 + 20] and turned[24 * 15 + 7]  # the new normal is trusted in training
    assert not turned[24 * 15 + 12] and not turned[24 * 10 + 20]
    assert learned.changed_since == 14 * 86400
    superseded = learned.superseded_at(ts)
    assert superseded[24 * 10 + 20] and not superseded[24 * 10 + 12]  # 20:00's old normal, not noon's
    assert not superseded[24 * 15 + 20]


def test_hours_unlike_the_prior_from_the_first_day_are_the_schedule_not_a_change() -> None:
    ts, kwh, meters, hour, ordinal, workday = site(lambda d: (10, 22))
    learned = learn(PRIOR, ts, kwh, meters, hour, ordinal, workday)
    assert [c.initial for c in learned.changes] == [True] and learned.changed_since is None
    assert learned.is_open(hour, workday, ordinal)[24 * 1 + 21] == 1.0  # from the window's first day
    assert learned.warnings("s") == [] and not learned.turned_at(ts).any()


def test_a_change_needs_several_days_to_be_believed() -> None:
    days = 14 + CONFIRM_DAYS - 1  # the new hours seen on too few working days (days 14-15)
    learned = learn(PRIOR, *site(lambda d: (8, 19) if d < 14 else (7, 21), days=days))
    assert learned.changes == []


def test_one_meter_running_all_night_is_waste_not_a_new_schedule() -> None:
    learned = learn(PRIOR, *site(lambda d: (8, 19), waste_meter_nights=range(10, 20)))
    assert learned.changes == []


def test_learned_hours_without_a_date_answer_like_the_prior() -> None:
    hour, workday = np.arange(24), np.ones(24)
    np.testing.assert_array_equal(LearnedHours(PRIOR).is_open(hour, workday), PRIOR.is_open(hour, workday))


def test_a_finding_names_the_change_for_the_manager() -> None:
    learned = learn(PRIOR, *site(lambda d: (8, 19) if d < 14 else (7, 21)))
    (warning,) = learned.warnings("s")
    assert warning.code == "schedule_changed" and warning.data["started_at"] == 14 * 86400
    assert "08:00-19:00" in warning.message and "07:00-21:00" in warning.message


def test_hours_an_hour_off_the_prior_all_window_long_are_the_schedule_and_no_change() -> None:
    ts, kwh, meters, hour, ordinal, workday = site(lambda d: (7, 20))  # a table's 8-19 is only a guess
    learned = learn(PRIOR, ts, kwh, meters, hour, ordinal, workday)
    assert [(c.initial, c.after) for c in learned.changes] == [(True, (7, 20))]
    assert learned.warnings("s") == []
