"""Hourly readings of one meter laid on a regular grid, with the calendar facts the scorers need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from core.calendar import day_kinds
from core.timebase import HOUR
from models.reference import HOLIDAY_KEY, day_keys

#: ``--calendar`` value that uses the plain weekday, no holidays.
NO_CALENDAR = "none"


@dataclass(frozen=True, slots=True)
class HourlySeries:
    """One meter's hours: start of each hour (epoch s), kWh (NaN where missing), local hour, weekday, day key."""

    ts: np.ndarray
    kwh: np.ndarray
    hour: np.ndarray
    weekday: np.ndarray
    day_key: np.ndarray


def hourly_series(ts: np.ndarray, kwh: np.ndarray, tz: str, country: str) -> tuple[HourlySeries, np.ndarray]:
    """Lay readings at hour starts ``ts`` on a regular hourly grid; also return each reading's grid row.

    Holidays of ``country`` take the day key of Sundays; make-up working days that of Mondays.
    """
    ts = (np.asarray(ts, dtype=np.int64) // HOUR) * HOUR
    grid = np.arange(ts.min(), ts.max() + HOUR, HOUR, dtype=np.int64)
    row = (ts - grid[0]) // HOUR
    values = np.full(grid.size, np.nan)
    values[row] = kwh
    zone = ZoneInfo(tz)
    moments = [datetime.fromtimestamp(int(t), tz=zone) for t in grid]
    days = [m.date() for m in moments]
    weekday = np.array([d.weekday() for d in days], dtype=np.int64)
    if country.strip().lower() == NO_CALENDAR:
        key = weekday
    else:
        kinds = day_kinds(days, country)  # raises ValueError for a country without a calendar
        key = np.where(kinds == "holiday", HOLIDAY_KEY, day_keys(weekday, kinds == "workday"))
    hour = np.array([m.hour for m in moments], dtype=np.int64)
    return HourlySeries(grid, values, hour, weekday, key), row
