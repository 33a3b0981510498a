"""Prices per hour: flat, or time-of-use periods that may wrap past midnight."""

from __future__ import annotations

import numpy as np

from models.tariff import Tariff

MIDNIGHT = 1_749_398_400  # 2025-06-09 00:00 Asia/Shanghai
PERIODS = [{"name": "peak", "start": "08:00", "end": "11:00", "price": 1.2},
           {"name": "valley", "start": "23:00", "end": "07:00", "price": 0.3}]


def test_hours_take_the_price_of_their_period_and_the_flat_price_elsewhere() -> None:
    prices = Tariff.of(0.8, PERIODS).prices(MIDNIGHT + 3600 * np.arange(24))
    assert prices[9] == 1.2 and prices[2] == 0.3 and prices[23] == 0.3 and prices[14] == 0.8


def test_cost_sums_each_hours_kwh_at_its_price() -> None:
    hours = MIDNIGHT + 3600 * np.array([2, 9, 14])
    assert Tariff.of(0.8, PERIODS).cost(hours, np.array([10.0, 10.0, np.nan])) == 15.0


def test_a_malformed_period_falls_back_to_the_flat_price() -> None:
    prices = Tariff.of(0.8, [{"start": "oops", "end": "11:00", "price": 9}]).prices(MIDNIGHT + 3600 * np.arange(24))
    assert np.all(prices == 0.8)
