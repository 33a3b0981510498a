"""Sun times from core.solar, checked against almanac values for Beijing."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.solar import daylight_seconds, is_daylight, solar_elevation, sun_times

BEIJING = (39.904, 116.407)
SHANGHAI_TZ_OFFSET_H = 8


def local_hhmm(ts: int) -> float:
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return (dt.hour + SHANGHAI_TZ_OFFSET_H) % 24 + dt.minute / 60


def test_beijing_midsummer_sunrise_is_near_0445_and_sunset_near_1946_local():
    sunrise, sunset = sun_times(*BEIJING, date(2026, 6, 21))
    assert abs(local_hhmm(sunrise) - 4.75) < 0.1
    assert abs(local_hhmm(sunset) - 19.77) < 0.1


def test_beijing_midwinter_day_is_about_nine_and_a_third_hours():
    sunrise, sunset = sun_times(*BEIJING, date(2026, 12, 21))
    assert abs((sunset - sunrise) / 3600 - 9.33) < 0.1
    assert abs(local_hhmm(sunrise) - 7.53) < 0.1


def test_summer_days_are_longer_than_winter_days_in_beijing():
    june = sun_times(*BEIJING, date(2026, 6, 21))
    december = sun_times(*BEIJING, date(2026, 12, 21))
    assert june[1] - june[0] > december[1] - december[0] + 5 * 3600


def test_daylight_at_local_noon_and_not_at_local_midnight():
    noon = int(datetime(2026, 3, 2, 4, 0, tzinfo=UTC).timestamp())  # 12:00 in Beijing
    assert is_daylight(*BEIJING, noon)
    assert not is_daylight(*BEIJING, noon + 12 * 3600)


def test_polar_summer_is_all_daylight_and_polar_winter_none():
    svalbard = (78.2, 15.6)
    sunrise, sunset = sun_times(*svalbard, date(2026, 6, 21))
    assert sunset - sunrise == 24 * 3600
    sunrise, sunset = sun_times(*svalbard, date(2026, 12, 21))
    assert sunset == sunrise


def test_daylight_seconds_over_a_whole_day_equals_sunset_minus_sunrise():
    day = date(2026, 6, 21)
    sunrise, sunset = sun_times(*BEIJING, day)
    midnight_local = int(datetime(2026, 6, 20, 16, 0, tzinfo=UTC).timestamp())
    assert daylight_seconds(*BEIJING, midnight_local, midnight_local + 86400) == sunset - sunrise


def test_sun_is_high_at_beijing_noon_in_june():
    noon = int(datetime(2026, 6, 21, 4, 15, tzinfo=UTC).timestamp())
    assert 70 < solar_elevation(*BEIJING, noon) < 75
