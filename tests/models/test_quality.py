"""Baseline data sufficiency: too little or too patchy history is a structured warning."""

from __future__ import annotations

import numpy as np

from models.quality import check_sufficiency


def codes(valid: np.ndarray) -> list[str]:
    return [w.code for w in check_sufficiency(valid, site_id="s", meter_id="m")]


def test_four_full_days_are_enough() -> None:
    assert codes(np.ones(96, dtype=bool)) == []


def test_two_days_are_insufficient_history() -> None:
    warnings = check_sufficiency(np.ones(48, dtype=bool), site_id="s", meter_id="m")
    assert [w.code for w in warnings] == ["insufficient_history"]
    assert warnings[0].meter_id == "m" and warnings[0].data["hours_present"] == 48


def test_a_new_meter_is_judged_from_its_first_reading() -> None:
    # 28-day window, meter connected 4 days ago: coverage counts from the first known hour.
    valid = np.zeros(28 * 24, dtype=bool)
    valid[-96:] = True
    assert codes(valid) == []


def test_patchy_history_is_low_coverage() -> None:
    valid = np.ones(10 * 24, dtype=bool)
    valid[::2] = False
    assert codes(valid) == ["low_coverage"]


def test_no_data_at_all_is_insufficient() -> None:
    assert "insufficient_history" in codes(np.zeros(100, dtype=bool))
