"""The day-kind calendar names its country, so sites outside China can be scored."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from core.calendar import DayCalendar, day_kind, day_kinds


def test_us_independence_day_observed_on_monday_is_a_holiday():
    assert DayCalendar("US").kind(date(2027, 7, 5)) == "holiday"  # 4 July 2027 is a Sunday


def test_spring_festival_is_a_working_week_in_the_us():
    assert day_kind(date(2026, 2, 18), "US") == "workday"
    assert day_kind(date(2026, 2, 18)) == "holiday"  # China by default


def test_day_kinds_takes_numpy_dates_and_keeps_their_order():
    days = np.array(["2026-10-01", "2026-10-10", "2026-10-11", "2026-10-08"], dtype="datetime64[D]")
    assert day_kinds(days, "CN").tolist() == ["holiday", "workday", "weekend", "workday"]
    assert day_kinds(days, "US").tolist() == ["workday", "weekend", "weekend", "workday"]


def test_day_kinds_of_no_days_is_empty():
    assert day_kinds([], "US").size == 0


def test_country_code_is_case_insensitive():
    assert day_kind(date(2026, 12, 25), "gb") == "holiday"


def test_an_unknown_country_is_a_clear_error():
    with pytest.raises(ValueError, match="no holiday calendar for country 'XX'"):
        DayCalendar("XX")
