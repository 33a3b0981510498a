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
