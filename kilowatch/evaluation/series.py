"""Hourly readings of one meter laid on a regular grid, with the calendar facts the scorers need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np

from models.reference import day_keys

HOUR = 3600
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


def _calendar(country: str, years: set[int]) -> tuple[set[date], set[date]]:
    """(holidays, make-up working days on weekends) of ``country`` in ``years``."""
    if country.upper() == NO_CALENDAR.upper():
        return set(), set()
    if country.upper() == "CN":
        from core.calendar import day_kind

        days = [date.fromordinal(o) for y in years
                for o in range(date(y, 1, 1).toordinal(), date(y, 12, 31).toordinal() + 1)]
        kinds = {d: day_kind(d) for d in days}
        return ({d for d, k in kinds.items() if k == "holiday"},
                {d for d, k in kinds.items() if k == "workday" and d.weekday() >= 5})
    import holidays

    try:
        return set(holidays.country_holidays(country.upper(), years=sorted(years))), set()
    except NotImplementedError:
        raise ValueError(f"no holiday calendar for country {country!r} (use an ISO code such as US, DE, CN, "
                         f"or {NO_CALENDAR!r})") from None


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
    holidays, workdays = _calendar(country, {d.year for d in days})
    weekday = np.array([d.weekday() for d in days], dtype=np.int64)
    working = np.array([d in workdays or (d.weekday() < 5 and d not in holidays) for d in days])
    key = day_keys(weekday, working)
    hour = np.array([m.hour for m in moments], dtype=np.int64)
    return HourlySeries(grid, values, hour, weekday, key), row
