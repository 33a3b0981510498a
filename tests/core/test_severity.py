"""An alert's severity follows what is at stake: energy, money and how long the waste has run."""

from __future__ import annotations

import pytest

from core.severity import FLOORS, HOUR, public_severity

RANK = {"low": 0, "medium": 1, "high": 2}


def test_a_399_kwh_alert_ranks_above_a_30_kwh_one():
    big = public_severity(399.0, 399.0 * 0.85, 6 * HOUR)
    small = public_severity(30.0, 30.0 * 0.85, 6 * HOUR)

    assert (big, small) == ("high", "medium")
    assert RANK[big] > RANK[small]


@pytest.mark.parametrize("kwh", [0.5, 5.0, 30.0, 120.0, 149.0, 150.0, 399.0, 5000.0])
def test_more_waste_at_the_same_tariff_and_duration_is_never_less_severe(kwh):
    more = public_severity(kwh * 1.5, kwh * 1.5 * 0.85, 3 * HOUR)
    assert RANK[more] >= RANK[public_severity(kwh, kwh * 0.85, 3 * HOUR)]


def test_money_alone_reaches_high_at_an_expensive_tariff():
    assert public_severity(100.0, 150.0, 2 * HOUR) == "high"


def test_waste_that_has_run_a_full_day_is_at_least_medium_but_duration_alone_is_never_high():
    assert public_severity(3.0, 2.5, 23 * HOUR) == "low"
    assert public_severity(3.0, 2.5, 24 * HOUR) == "medium"
    assert public_severity(3.0, 2.5, 30 * 24 * HOUR) == "medium"


def test_floors_are_listed_highest_first():
    assert [RANK[f.level] for f in FLOORS] == sorted((RANK[f.level] for f in FLOORS), reverse=True)
