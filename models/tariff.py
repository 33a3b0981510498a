"""Electricity prices per hour: a site's flat price, or its tariff plan by date, season and day kind (峰谷电价).

The plan's format lives in :mod:`core.tariffs` (and docs/tariffs.md); this module prices hours with it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from core.calendar import day_kinds
from core.tariffs import Period, TariffPlan, parse_plan
from core.timebase import DAY, HOME_TIMEZONE

log = logging.getLogger(__name__)


@lru_cache(maxsize=16)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def _local_seconds(hours: np.ndarray, tz: str) -> np.ndarray:
    """Local time of each hour start as seconds since the local epoch (offset looked up per UTC day)."""
    days = hours // DAY
    unique, inverse = np.unique(days, return_inverse=True)
    zone = _zone(tz)
    offsets = np.array(
        [(datetime.fromtimestamp(int(d) * DAY + DAY // 2, tz=zone).utcoffset() or timedelta()).total_seconds() for d in unique],
        dtype=np.int64,
    )
    return hours + offsets[inverse]


def _apply(out: np.ndarray, middle: np.ndarray, where: np.ndarray, periods: tuple[Period, ...]) -> None:
    """Set the price of every hour in ``where`` whose middle minute falls in one of ``periods``."""
    for p in periods:
        if p.start < p.end:
            inside = (middle >= p.start) & (middle < p.end)
        elif p.start == p.end:
            inside = np.ones_like(where)  # start == end: the whole day
        else:
            inside = (middle >= p.start) | (middle < p.end)
        out[where & inside] = p.price


@dataclass(frozen=True, slots=True)
class Tariff:
    """A flat price and a plan of time-of-use versions; hours no period covers pay the flat price."""

    flat_cny_per_kwh: float
    plan: TariffPlan = TariffPlan(())

    @classmethod
    def of(cls, flat: float, tou: Sequence[Mapping] | Mapping | None) -> Tariff:
        """From a site's stored columns: a list of periods (one schedule) or a plan (see core.tariffs).

        A stored tariff is read leniently: a malformed period is dropped (its hours pay the
        flat price), and a plan that cannot be read at all leaves the flat price, logged.
        """
        try:
            plan = parse_plan(tou, strict=False)
        except ValueError as exc:
            log.warning("tariff plan ignored, flat price used: %s", exc)
            plan = TariffPlan(())
        return cls(float(flat), plan)

    def prices(self, hours: np.ndarray, tz: str = HOME_TIMEZONE) -> np.ndarray:
        """CNY per kWh for each hour start (epoch s); an hour takes the price at its middle."""
        hours = np.asarray(hours, dtype=np.int64)
        out = np.full(hours.size, self.flat_cny_per_kwh)
        versions = self.plan.versions
        if not versions or hours.size == 0:
            return out
        local = _local_seconds(hours, tz)
        middle = local % DAY // 60 + 30
        day_index = local // DAY
        days = np.datetime64("1970-01-01") + day_index.astype("timedelta64[D]")
        months = days.astype("datetime64[M]").astype(int) % 12 + 1
        holiday = None
        starts = [v.valid_from for v in versions]
        for i, version in enumerate(versions):
            # A version holds from its date (local, inclusive) until the next version's date.
            where = np.ones(hours.size, dtype=bool)
            if starts[i] is not None:
                where &= days >= np.datetime64(starts[i])
            if i + 1 < len(versions):
                where &= days < np.datetime64(starts[i + 1])
            if not where.any():
                continue
            _apply(out, middle, where, version.periods)
            for season in version.seasons:
                _apply(out, middle, where & np.isin(months, sorted(season.months)), season.periods)
            if version.holidays:
                if holiday is None:
                    holiday = day_kinds(days, self.plan.calendar) == "holiday"
                _apply(out, middle, where & holiday, version.holidays)
        return out

    def cost(self, hours: np.ndarray, kwh: np.ndarray, tz: str = HOME_TIMEZONE) -> float:
        """Price of ``kwh`` drawn in each of ``hours`` (NaN hours cost nothing)."""
        return float(np.nansum(self.prices(hours, tz) * np.asarray(kwh, dtype=float)))
