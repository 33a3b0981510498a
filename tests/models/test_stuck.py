"""A register that stops counting shows zeros where the baseline expects load: a data finding."""

from __future__ import annotations

import numpy as np

from core.domain import Meter, MeterCategory
from models.stuck import stuck_matrix

METER = Meter("m", "s", MeterCategory.WATER_PUMP, 20.0)
HOURS = 1_749_398_400 + 3600 * np.arange(24, dtype=np.int64)


def test_zero_hours_of_an_always_running_pump_are_masked_and_reported() -> None:
    actual = np.full((24, 1), 5.0)
    actual[10:14] = 0.0
    mask, found = stuck_matrix(actual, np.full((24, 1), 5.0), np.full((24, 1), 0.3), HOURS, [METER])
    assert mask[10:14, 0].all() and mask.sum() == 4
    assert [w.code for w in found] == ["stuck_register"]
    assert found[0].data["started_at"] == int(HOURS[10])


def test_zero_hours_where_little_is_expected_are_normal() -> None:
    actual = np.zeros((24, 1))
    mask, found = stuck_matrix(actual, np.full((24, 1), 0.2), np.full((24, 1), 0.1), HOURS, [METER])
    assert not mask.any() and found == []


def test_a_frozen_run_is_masked_whole_though_some_of_its_hours_expect_little() -> None:
    # A lift's register froze at 03:30 and stayed frozen through the day: at night its standby
    # is little (a zero alone would pass), by day it serves people. The night hours of the run
    # are the same frozen register, not normal hours that end an idling episode.
    lift = Meter("l", "s", MeterCategory.ELEVATOR, 20.0)
    expected = np.where((np.arange(24) >= 7) & (np.arange(24) < 20), 15.0, 0.5)[:, None]
    actual = np.full((24, 1), 10.0)
    actual[4:] = 0.0
    mask, found = stuck_matrix(actual, expected, np.full((24, 1), 0.3), HOURS, [lift])
    assert mask[4:, 0].all() and not mask[:4, 0].any()
    assert len(found) == 1 and found[0].data["started_at"] == int(HOURS[4])
    # A meter off every night (zeros where little is expected, no stretch frozen) is not masked.
    actual[7:20] = 15.0
    mask, found = stuck_matrix(actual, expected, np.full((24, 1), 0.3), HOURS, [lift])
    assert not mask.any() and found == []
