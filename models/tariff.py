"""Electricity prices per hour: a site's flat tariff or its time-of-use periods (峰谷电价)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from models.features import local_hour


def _minutes(text: str) -> int:
    hours, _, minutes = str(text).partition(":")
    return int(hours) * 60 + int(minutes or 0)


@dataclass(frozen=True, slots=True)
class Tariff:
    """A flat price and optional TOU periods ``{"start": "HH:MM", "end": "HH:MM", "price": x}``.

    Periods are local time; one whose end is not after its start wraps past midnight
    (a 23:00-07:00 valley). Hours no period covers pay the flat price.
    """

    flat_cny_per_kwh: float
    periods: tuple[Mapping, ...] = ()

    @classmethod
    def of(cls, flat: float, tou: Sequence[Mapping] | None) -> Tariff:
        return cls(float(flat), tuple(tou or ()))

    def prices(self, hours: np.ndarray, tz: str = "Asia/Shanghai") -> np.ndarray:
        """CNY per kWh for each hour start (epoch s); an hour takes the price at its middle."""
        hours = np.asarray(hours, dtype=np.int64)
        out = np.full(hours.size, self.flat_cny_per_kwh)
        if not self.periods or hours.size == 0:
            return out
        middle = local_hour(hours, tz) * 60 + 30
        for period in self.periods:
            try:
                lo, hi, price = _minutes(period["start"]), _minutes(period["end"]), float(period["price"])
            except (KeyError, TypeError, ValueError):
                continue  # a malformed period is ignored; the flat price stands for its hours
            inside = (middle >= lo) & (middle < hi) if lo < hi else (middle >= lo) | (middle < hi)
            out[inside] = price
        return out

    def cost(self, hours: np.ndarray, kwh: np.ndarray, tz: str = "Asia/Shanghai") -> float:
        """Price of ``kwh`` drawn in each of ``hours`` (NaN hours cost nothing)."""
        return float(np.nansum(self.prices(hours, tz) * np.asarray(kwh, dtype=float)))
