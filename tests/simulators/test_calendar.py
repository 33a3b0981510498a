"""Chinese holidays and make-up working days from core.calendar (State Council notices)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.calendar import day_kind, is_covered, is_holiday, is_workday, local_date


@pytest.mark.parametrize("day", [date(2026, 10, d) for d in range(1, 8)])
def test_2026_national_day_week_is_a_holiday(day):
    assert is_holiday(day)
    assert day_kind(day) == "holiday"


@pytest.mark.parametrize("day", [date(2026, 9, 20), date(2026, 10, 10)])
def test_2026_national_day_make_up_weekend_days_are_workdays(day):
    assert day.weekday() >= 5
    assert is_workday(day)
    assert day_kind(day) == "workday"


def test_ordinary_sunday_is_a_weekend():
    assert day_kind(date(2026, 10, 11)) == "weekend"


def test_ordinary_weekday_is_a_workday():
    assert day_kind(date(2026, 10, 8)) == "workday"


def test_2025_spring_festival_starts_on_new_years_eve():
    assert is_holiday(date(2025, 1, 28))
    assert not is_holiday(date(2025, 1, 27))
    assert is_workday(date(2025, 1, 26))


def test_2024_may_day_make_up_saturday_is_a_workday():
    assert is_workday(date(2024, 5, 11))


def test_uncovered_year_still_knows_the_fixed_date_holidays():
    assert not is_covered(2030)
    assert is_holiday(date(2030, 10, 1))
    assert not is_holiday(date(2030, 10, 8))


def test_local_date_is_shanghai_date_not_utc_date():
    ts = int(datetime(2026, 9, 30, 17, 0, tzinfo=UTC).timestamp())  # 01:00 on 1 Oct in Shanghai
    assert local_date(ts) == date(2026, 10, 1)
    assert local_date(ts, "UTC") == date(2026, 9, 30)
