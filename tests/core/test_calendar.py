"""China's day kinds past the last State Council notice in the table, and the warning about it."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import holidays

from core.calendar import COVERED_YEARS, day_kind, is_covered, notice_warning

#: Spring Festival 2027: 正月初一 is Saturday 6 February; the package adds 除夕 (5 Feb) and observed days.
SPRING_FESTIVAL_2027 = date(2027, 2, 6)


def test_2027_has_no_notice_in_the_table():
    assert 2027 not in COVERED_YEARS
    assert not is_covered(2027)


def test_2027_spring_festival_weekdays_are_holidays_not_working_days():
    package = holidays.country_holidays("CN", years=2027)
    days = [SPRING_FESTIVAL_2027 + timedelta(days=i) for i in range(-1, 5)]
    weekdays = [d for d in days if d.weekday() < 5 and d in package]
    assert len(weekdays) >= 3, f"the package no longer lists the week of Spring Festival 2027: {package}"
    assert [day_kind(d) for d in weekdays] == ["holiday"] * len(weekdays)


def test_2027_lunar_holidays_follow_the_package():
    # 端午节 and 中秋节 move with the moon: a fixed-date table cannot know them.
    assert day_kind(date(2027, 6, 9)) == "holiday"
    assert day_kind(date(2027, 9, 15)) == "holiday"


def test_2027_ordinary_days_keep_their_kinds():
    assert day_kind(date(2027, 3, 3)) == "workday"  # a Wednesday
    assert day_kind(date(2027, 3, 6)) == "weekend"  # a Saturday


def test_years_before_the_table_use_the_package_with_its_make_up_days():
    # 2023's notice is not in the table; the package knows its make-up Sunday of 29 January.
    assert day_kind(date(2023, 1, 24)) == "holiday"
    assert day_kind(date(2023, 1, 29)) == "workday"


def test_the_table_wins_where_it_has_the_notice():
    # A weekend day inside the 2026 Spring Festival block: a holiday by the notice.
    assert day_kind(date(2026, 2, 22)) == "holiday"
    assert day_kind(date(2026, 2, 28)) == "workday"  # its make-up Saturday


def test_december_warns_that_next_year_has_no_notice(caplog):
    with caplog.at_level(logging.WARNING, logger="core.calendar"):
        message = notice_warning(date(2026, 12, 7))
    assert message is not None and "2027" in message
    assert any("2027" in r.getMessage() for r in caplog.records)


def test_no_warning_while_this_year_and_next_are_covered():
    assert notice_warning(date(2025, 6, 1)) is None


def test_other_countries_need_no_notice():
    assert notice_warning(date(2026, 12, 7), "US") is None
