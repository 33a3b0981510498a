"""Opening hours and hourly activity of each kind of site, by day kind (workday, weekend, holiday)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from core.calendar import day_kind, local_date
from core.domain import Site, SiteType
from core.timebase import HOUR

#: Local opening hours (start, end) by site type and day kind; None = closed all day.
#: For residential sites these are the "active" hours of the public areas.
OPENING_HOURS: dict[SiteType, dict[str, tuple[int, int] | None]] = {
    SiteType.RESIDENTIAL: {"workday": (6, 23), "weekend": (6, 23), "holiday": (6, 23)},
    SiteType.OFFICE: {"workday": (8, 19), "weekend": None, "holiday": None},
    SiteType.MALL: {"workday": (10, 22), "weekend": (10, 22), "holiday": (10, 22)},
    SiteType.INDUSTRIAL: {"workday": (8, 20), "weekend": None, "holiday": None},
}

_FLAT_LOW = (0.05,) * 24

#: Hourly share of peak activity (people moving, water drawn) by site type and day kind.
ACTIVITY: dict[SiteType, dict[str, tuple[float, ...]]] = {
    SiteType.RESIDENTIAL: {
        "workday": (
            0.10,
            0.05,
            0.05,
            0.05,
            0.05,
            0.10,
            0.30,
            0.70,
            0.80,
            0.50,
            0.35,
            0.40,
            0.50,
            0.40,
            0.35,
            0.35,
            0.45,
            0.70,
            0.90,
            1.00,
            0.90,
            0.70,
            0.45,
            0.25,
        ),
        "weekend": (
            0.15,
            0.08,
            0.05,
            0.05,
            0.05,
            0.05,
            0.15,
            0.30,
            0.50,
            0.65,
            0.70,
            0.70,
            0.70,
            0.60,
            0.60,
            0.60,
            0.65,
            0.75,
            0.90,
            1.00,
            0.95,
            0.80,
            0.55,
            0.30,
        ),
    },
    SiteType.OFFICE: {
        "workday": (
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.05,
            0.20,
            0.80,
            1.00,
            0.90,
            0.90,
            1.00,
            0.90,
            0.90,
            0.90,
            0.90,
            1.00,
            0.70,
            0.35,
            0.20,
            0.10,
            0.05,
            0.02,
        ),
        "weekend": (
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.05,
            0.10,
            0.15,
            0.15,
            0.15,
            0.15,
            0.15,
            0.15,
            0.15,
            0.15,
            0.10,
            0.05,
            0.05,
            0.02,
            0.02,
            0.02,
            0.02,
        ),
    },
    SiteType.MALL: {
        "workday": (
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.05,
            0.15,
            0.30,
            0.45,
            0.60,
            0.55,
            0.50,
            0.50,
            0.55,
            0.65,
            0.75,
            0.75,
            0.65,
            0.45,
            0.10,
            0.02,
        ),
        "weekend": (
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.02,
            0.05,
            0.20,
            0.45,
            0.65,
            0.85,
            0.85,
            0.85,
            0.85,
            0.90,
            0.95,
            1.00,
            1.00,
            0.90,
            0.60,
            0.15,
            0.02,
        ),
    },
    SiteType.INDUSTRIAL: {
        "workday": (
            0.10,
            0.10,
            0.10,
            0.10,
            0.10,
            0.10,
            0.15,
            0.50,
            1.00,
            1.00,
            1.00,
            1.00,
            0.80,
            1.00,
            1.00,
            1.00,
            1.00,
            1.00,
            0.80,
            0.80,
            0.40,
            0.15,
            0.10,
            0.10,
        ),
        "weekend": _FLAT_LOW,
    },
}


@lru_cache(maxsize=4096)
def local_midnight(day: date, tz: str) -> int:
    """UTC epoch seconds of local midnight starting ``day``."""
    return int(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).timestamp())


def opening_window(site: Site, day: date) -> tuple[int, int] | None:
    """The site's opening hours on local date ``day`` as UTC epoch seconds, or None."""
    hours = OPENING_HOURS[site.site_type][day_kind(day)]
    if hours is None:
        return None
    midnight = local_midnight(day, site.timezone)
    return midnight + hours[0] * HOUR, midnight + hours[1] * HOUR


def open_seconds(site: Site, t0: int, t1: int) -> int:
    """Seconds of ``[t0, t1)`` inside the site's opening hours."""
    total = 0
    day = local_date(t0, site.timezone)
    last = local_date(t1 - 1, site.timezone)
    while day <= last:
        window = opening_window(site, day)
        if window:
            total += max(0, min(t1, window[1]) - max(t0, window[0]))
        day += timedelta(days=1)
    return total


def activity(site_type: SiteType, kind: str, hour: float) -> float:
    """Share of peak activity at local ``hour`` (0-24, interpolated between hours)."""
    table = ACTIVITY[site_type]["workday" if kind == "workday" else "weekend"]
    i = int(hour) % 24
    frac = hour - int(hour)
    return table[i] * (1.0 - frac) + table[(i + 1) % 24] * frac
