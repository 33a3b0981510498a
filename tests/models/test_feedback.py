"""Training masks: hours of waste alerts are left out of training, but never a whole cell."""

from __future__ import annotations

import numpy as np

from models.feedback import MIN_CELL_HOURS, SiteFeedback

DAY = 86400


def weeks(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hours = np.arange(n * 7 * 24) * 3600
    local = (hours // 3600) % 24
    workday = (hours // DAY) % 7 < 5
    return hours, local, workday


def test_hours_of_a_waste_alert_are_left_out_of_training() -> None:
    hours, local, workday = weeks(4)
    feedback = SiteFeedback({}, {"m": [(5 * DAY, 5 * DAY + 6 * 3600)]})
    trusted, excluded = feedback.training_masks("m", hours, local, workday)
    assert excluded.sum() == 6 and not trusted.any()


def test_alerts_never_take_a_cell_below_its_minimum_of_hours() -> None:
    """Every weekend evening of four weeks alerted: the weekend evening cells stay in training."""
    hours, local, workday = weeks(4)
    spans = [(d * DAY + 19 * 3600, d * DAY + 23 * 3600) for d in range(28) if d % 7 >= 5]
    feedback = SiteFeedback({}, {"m": spans})
    _, excluded = feedback.training_masks("m", hours, local, workday)
    # Each of the 4 weekend evening cells (19-22 h) gets back its three most recent hours.
    assert excluded.sum() == 32 - 4 * 3
    assert not any(excluded[s // 3600 : e // 3600].any() for s, e in spans[-3:])
    # Hours without data are not kept: with the last weekend day unknown, the three before it come back.
    known = np.ones(hours.size, dtype=bool)
    known[spans[-1][0] // 3600 : spans[-1][1] // 3600] = False
    _, excluded = feedback.training_masks("m", hours, local, workday, known)
    assert not any(excluded[s // 3600 : e // 3600].any() for s, e in spans[-4:-1])
    assert excluded[spans[-1][0] // 3600 : spans[-1][1] // 3600].all()
    # Without the day kinds (as before), all 32 weekend evening hours were left out.
    _, blind = feedback.training_masks("m", hours, local)
    assert blind.sum() == 32
    # Half of them alerted: each cell keeps four hours, more than its minimum, and the alerts stay out.
    feedback = SiteFeedback({}, {"m": spans[::2]})
    _, half = feedback.training_masks("m", hours, local, workday)
    assert half.sum() == 16 and MIN_CELL_HOURS <= 4
