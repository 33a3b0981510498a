"""Prices per hour: flat, time-of-use periods that may wrap past midnight, and plans with seasons,
holiday rates and effective dates (the shipped example, core/data/tariffs/example-summer-sharp.yaml)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import yaml

from models.tariff import Tariff

MIDNIGHT = 1_749_398_400  # 2025-06-09 00:00 Asia/Shanghai
PERIODS = [
    {"name": "peak", "start": "08:00", "end": "11:00", "price": 1.2},
    {"name": "valley", "start": "23:00", "end": "07:00", "price": 0.3},
]


def test_hours_take_the_price_of_their_period_and_the_flat_price_elsewhere() -> None:
    prices = Tariff.of(0.8, PERIODS).prices(MIDNIGHT + 3600 * np.arange(24))
    assert prices[9] == 1.2 and prices[2] == 0.3 and prices[23] == 0.3 and prices[14] == 0.8


def test_cost_sums_each_hours_kwh_at_its_price() -> None:
    hours = MIDNIGHT + 3600 * np.array([2, 9, 14])
    assert Tariff.of(0.8, PERIODS).cost(hours, np.array([10.0, 10.0, np.nan])) == 15.0


def test_a_malformed_period_falls_back_to_the_flat_price() -> None:
    prices = Tariff.of(0.8, [{"start": "oops", "end": "11:00", "price": 9}]).prices(MIDNIGHT + 3600 * np.arange(24))
    assert np.all(prices == 0.8)


# --- seasons, holidays and effective dates (a plan, core/tariffs.py) ---------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "core" / "data" / "tariffs" / "example-summer-sharp.yaml"
#: The example file as it is stored in a site's ``tou_tariff`` column (JSON: dates as text).
PLAN = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
for _version in PLAN["versions"]:
    _version["from"] = str(_version["from"])
OLD, NEW = PLAN["versions"]


def at(y: int, m: int, d: int, hour: int, tz: str = "Asia/Shanghai") -> int:
    """Epoch seconds of the local hour start."""
    return int(datetime(y, m, d, hour, tzinfo=ZoneInfo(tz)).timestamp())


def price(tariff: Tariff, y: int, m: int, d: int, hour: int) -> float:
    return float(tariff.prices(np.array([at(y, m, d, hour)]))[0])


def named(version: dict, name: str, section: str = "periods") -> float:
    """The price the example file gives a named period."""
    periods = version["holidays"]["periods"] if section == "holidays" else version[section]
    return next(p["price"] for p in periods if p["name"] == name)


def sharp(version: dict, season: str) -> float:
    return next(s["periods"][0]["price"] for s in version["seasons"] if s["name"] == season)


TARIFF = Tariff.of(0.85, PLAN)


@pytest.mark.parametrize("hour", [11, 12, 16])
def test_summer_sharp_hours_take_the_sharp_price_in_july_and_august(hour) -> None:
    assert price(TARIFF, 2026, 7, 15, hour) == sharp(NEW, "summer")
    assert price(TARIFF, 2026, 8, 19, hour) == sharp(NEW, "summer")


def test_the_same_hours_in_june_keep_the_daily_schedule() -> None:
    assert price(TARIFF, 2026, 6, 17, 11) == named(NEW, "flat")
    assert price(TARIFF, 2026, 6, 17, 16) == named(NEW, "peak")


def test_winter_sharp_evening_in_december_and_january_only() -> None:
    assert price(TARIFF, 2026, 12, 9, 19) == sharp(NEW, "winter")
    assert price(TARIFF, 2027, 1, 13, 20) == sharp(NEW, "winter")
    assert price(TARIFF, 2026, 11, 11, 19) == named(NEW, "flat")


def test_public_holidays_take_the_holiday_rates_after_the_seasons() -> None:
    assert price(TARIFF, 2026, 10, 1, 12) == named(NEW, "deep_valley", "holidays")
    assert price(TARIFF, 2026, 10, 8, 12) == named(NEW, "flat")  # the working day after
    assert price(TARIFF, 2026, 10, 1, 9) == named(NEW, "peak")  # outside the holiday hours


def test_holidays_past_the_calendar_notices_come_from_the_package() -> None:
    # 8 February 2027, Spring Festival: no State Council notice yet, still a holiday.
    assert price(TARIFF, 2027, 2, 8, 11) == named(NEW, "deep_valley", "holidays")


def test_a_new_version_replaces_the_old_from_its_date() -> None:
    assert price(TARIFF, 2026, 5, 31, 9) == named(OLD, "peak")
    assert price(TARIFF, 2026, 6, 1, 9) == named(NEW, "peak")
    # Local midnight is the boundary: 23:00 on 31 May is the old valley.
    assert price(TARIFF, 2026, 5, 31, 23) == named(OLD, "valley")
    assert price(TARIFF, 2025, 7, 15, 12) == sharp(OLD, "summer")


def test_hours_before_the_first_version_pay_the_flat_price() -> None:
    assert price(TARIFF, 2024, 12, 31, 9) == 0.85


def test_a_summer_workday_costs_what_the_site_pays() -> None:
    hours = at(2026, 7, 15, 0) + 3600 * np.arange(24)
    by_hour = (
        [named(NEW, "valley")] * 8
        + [named(NEW, "peak")] * 3
        + [sharp(NEW, "summer")] * 2
        + [named(NEW, "peak")] * 3
        + [sharp(NEW, "summer")]
        + [named(NEW, "peak")] * 2
        + [named(NEW, "flat")] * 3
        + [named(NEW, "valley")] * 2
    )
    assert TARIFF.cost(hours, np.full(24, 2.0)) == pytest.approx(2.0 * sum(by_hour))


def test_a_plan_that_cannot_be_read_leaves_the_flat_price() -> None:
    tariff = Tariff.of(0.8, {"versions": [{"from": "2026-13-01", "periods": PERIODS}]})
    assert np.all(tariff.prices(MIDNIGHT + 3600 * np.arange(24)) == 0.8)


def test_the_holiday_calendar_is_the_plans_country() -> None:
    us = Tariff.of(0.85, {**PLAN, "calendar": "US"})
    assert price(us, 2026, 10, 1, 12) == named(NEW, "flat")  # not a US holiday
    assert price(us, 2026, 7, 3, 12) == named(NEW, "deep_valley", "holidays")  # Independence Day observed
