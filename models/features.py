"""The feature matrix a meter baseline learns from: one row per local hour.

Columns (``FEATURE_NAMES``):

hour_sin, hour_cos  local hour of day on a circle, so 23:00 sits next to 00:00
workday, weekend, holiday  the Chinese day kind (make-up working days are workdays)
daylight            fraction of the hour with the sun above the horizon at the site
season              optional outdoor-temperature proxy by day of year (1 mid-July, -1 mid-January)
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from core.calendar import day_kind
from core.domain import Site
from core.solar import daylight_seconds

HOUR = 3600
BASE_FEATURES = ("hour_sin", "hour_cos", "workday", "weekend", "holiday", "daylight")
SEASON_FEATURE = "season"
#: Day of year of the typical temperature peak in eastern China (about 20 July).
_WARMEST_DAY = 201


def feature_names(season: bool = False) -> tuple[str, ...]:
    return BASE_FEATURES + ((SEASON_FEATURE,) if season else ())


@lru_cache(maxsize=16)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def hour_features(hours: np.ndarray, site: Site, *, season: bool = False) -> np.ndarray:
    """Feature matrix (n_hours, n_features) for hour starts ``hours`` (UTC epoch seconds) at ``site``.

    ``season`` adds the day-of-year temperature proxy. It is off by default: within a
    few weeks of training it is nearly a time trend, which a tree can latch on to.
    """
    zone = _zone(site.timezone)
    rows = np.zeros((len(hours), len(feature_names(season))))
    kinds = {"workday": 2, "weekend": 3, "holiday": 4}
    for i, start in enumerate(np.asarray(hours, dtype=np.int64).tolist()):
        local = datetime.fromtimestamp(start, tz=zone)
        angle = 2.0 * np.pi * (local.hour + 0.5) / 24.0
        rows[i, 0] = np.sin(angle)
        rows[i, 1] = np.cos(angle)
        rows[i, kinds[day_kind(local.date())]] = 1.0
        rows[i, 5] = daylight_seconds(site.latitude, site.longitude, start, start + HOUR) / HOUR
        if season:
            doy = local.timetuple().tm_yday
            rows[i, 6] = np.cos(2.0 * np.pi * (doy - _WARMEST_DAY) / 365.25)
    return rows


def local_hour(hours: np.ndarray, tz: str = "Asia/Shanghai") -> np.ndarray:
    """Local hour of day (0-23) of each hour start."""
    zone = _zone(tz)
    return np.array([datetime.fromtimestamp(int(h), tz=zone).hour for h in hours], dtype=int)
