"""Home days (Asia/Shanghai) by integer arithmetic agree with the time zone database."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.calendar import DAY, HOME_TIMEZONE, day_of, home_days_match, month_of, next_month, whole_home_days

ZONE = ZoneInfo(HOME_TIMEZONE)
#: Seeded instants from 1992 (after China's last daylight saving) to 2040.
INSTANTS = [random.Random(20261207).randrange(694_224_000, 2_208_988_800) for _ in range(500)]


def midnight(ts: int) -> int:
    local = datetime.fromtimestamp(ts, ZONE)
    return int(datetime(local.year, local.month, local.day, tzinfo=ZONE).timestamp())


def month_start(ts: int) -> int:
    local = datetime.fromtimestamp(ts, ZONE)
    return int(datetime(local.year, local.month, 1, tzinfo=ZONE).timestamp())


@pytest.mark.parametrize("ts", INSTANTS[:100] + [midnight(INSTANTS[0]), midnight(INSTANTS[0]) - 1])
def test_day_of_is_the_local_midnight_before(ts):
    assert day_of(ts) == midnight(ts)


def test_month_of_and_next_month_walk_local_months():
    for ts in INSTANTS:
        month = month_of(day_of(ts))
        assert month == month_start(ts)
        following = next_month(month)
        assert month_start(following) == following
        assert month_start(following - 1) == month


def test_whole_home_days_cut_partial_edge_days():
    ts = INSTANTS[1]
    day = midnight(ts)
    assert whole_home_days(day, day + 3 * DAY) == (day, day + 3 * DAY)
    assert whole_home_days(day + 1, day + 3 * DAY - 1) == (day + DAY, day + 2 * DAY)
    first, last = whole_home_days(day + 1, day + DAY - 1)
    assert first >= last


@pytest.mark.parametrize(
    ("tz", "expected"), [("Asia/Shanghai", True), ("Asia/Hong_Kong", True), ("Asia/Tokyo", False), ("UTC", False)]
)
def test_home_days_match_only_zones_at_utc_plus_eight(tz, expected):
    assert home_days_match(tz, INSTANTS[2], INSTANTS[2] + 40 * DAY) is expected


def test_home_days_do_not_match_across_shanghai_daylight_saving_of_1991():
    summer_1991 = int(datetime(1991, 7, 1, tzinfo=ZONE).timestamp())
    assert not home_days_match(HOME_TIMEZONE, summer_1991, summer_1991 + DAY)
