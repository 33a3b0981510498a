"""The feature matrix a meter baseline learns from: one row per hour, computed with numpy.

Columns (``FEATURES``):

hour      local hour of day, 0-23
workday   1 on Chinese working days (make-up weekend days included), 0 on weekends and holidays
daylight  fraction of the hour with the sun above the horizon at the site (core.solar)
open      1 when the hour lies inside the space's opening hours (models.schedule)
cooling_open, cooling_closed  cooling need max(0, T - 22 C) / 10 from an outdoor-temperature
          *proxy*, in open hours and in closed hours (HVAC answers it only while open)
heating_open, heating_closed  heating need max(0, 14 C - T) / 14, likewise

The temperature is measured where the site provides it (``measured``: its hourly outdoor
temperature, from MQTT or a CSV import, ``core.db.weather``) and a climate-normal proxy from
the site's latitude, the day of year and the hour otherwise (see :func:`temperature_proxy`).
The proxy follows seasons and the daily cycle but not the weather of a given day; a gap
in the measurement is filled by :func:`outdoor_temperature`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from core.calendar import day_kind
from core.domain import Site
from core.solar import sun_times
from core.timebase import DAY, HOME_TIMEZONE, HOUR
from models.schedule import OpeningHours, opening_hours

FEATURES = ("hour", "workday", "daylight", "open", "cooling_open", "cooling_closed", "heating_open", "heating_closed")
HOUR_COL, WORKDAY_COL, DAYLIGHT_COL, OPEN_COL = range(4)
#: Outdoor temperatures (C) where cooling starts and below which heating starts.
COOLING_FROM_C = 22.0
HEATING_BELOW_C = 14.0
#: Day of year of the warmest days in China (late July).
_WARMEST_DOY = 202
#: Longest gap (hours) in a measured series bridged from the measurement: the proxy plus the
#: weather anomaly (measured minus proxy) drawn straight across the gap. In a longer gap, and
#: after the last measured hour (the weather of the newest hour may come after its readings),
#: the hours this close to a measured one hold its anomaly. A front turns the anomaly within
#: hours, so further out the anomaly is a guess no better than the proxy alone, which fills the rest.
MAX_BRIDGE_H = 6


def feature_names() -> tuple[str, ...]:
    return FEATURES


@lru_cache(maxsize=16)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


@lru_cache(maxsize=100_000)
def _workday(ordinal: int) -> bool:
    return day_kind(date.fromordinal(ordinal)) == "workday"


@lru_cache(maxsize=100_000)
def _holiday(ordinal: int) -> bool:
    return day_kind(date.fromordinal(ordinal)) == "holiday"


def public_holidays(ordinal: np.ndarray) -> np.ndarray:
    """Whether each local date (ordinal) is a public holiday (weekend days inside a holiday block
    included). The baseline's cells know two kinds of day, and a holiday is neither: an office open
    on Saturdays closes for the Dragon Boat Festival, a mall opens as on a Sunday."""
    ordinal = np.asarray(ordinal, dtype=np.int64)
    if ordinal.size == 0:
        return np.zeros(0, dtype=bool)
    days, inverse = np.unique(ordinal, return_inverse=True)
    return np.array([_holiday(int(d)) for d in days], dtype=bool)[inverse]


@lru_cache(maxsize=200_000)
def _sun(lat: float, lon: float, ordinal: int) -> tuple[int, int]:
    return sun_times(lat, lon, date.fromordinal(ordinal))


def _offsets(hours: np.ndarray, tz: str) -> np.ndarray:
    """UTC offset (s) of each hour; looked up once per UTC day (no DST in China)."""
    days = hours // DAY
    unique, inverse = np.unique(days, return_inverse=True)
    zone = _zone(tz)
    offsets = np.array(
        [(datetime.fromtimestamp(int(d) * DAY + 43200, tz=zone).utcoffset() or timedelta()).total_seconds() for d in unique],
        dtype=np.int64,
    )
    return offsets[inverse]


def temperature_proxy(latitude: float, day_of_year: np.ndarray, local_hour: np.ndarray) -> np.ndarray:
    """Climate-normal outdoor temperature (C) by latitude, season and hour, without weather.

    Annual mean and seasonal half-swing are straight lines through Chinese normals
    (about 25 C and 5 C at Haikou, 18 deg N; 4.5 C and 20 C at Harbin, 46 deg N); the
    day is 4 C warmer than the mean at 15:00 and colder at 03:00.
    """
    mean = 25.0 - 0.73 * (latitude - 18.0)
    swing = 5.0 + 0.54 * (latitude - 18.0)
    seasonal = swing * np.cos(2.0 * np.pi * (day_of_year - _WARMEST_DOY) / 365.25)
    diurnal = 4.0 * np.cos(2.0 * np.pi * (local_hour + 0.5 - 15.0) / 24.0)
    return mean + seasonal + diurnal


def outdoor_temperature(hours: np.ndarray, proxy: np.ndarray, measured: np.ndarray | None) -> np.ndarray:
    """Temperature (C) of each hour: ``measured`` (NaN where unknown) where known, gaps of up to
    ``MAX_BRIDGE_H`` hours bridged by the proxy plus the interpolated anomaly, the proxy beyond."""
    if measured is None:
        return proxy
    measured = np.asarray(measured, dtype=float)
    known = np.isfinite(measured)
    if known.all():
        return measured
    if not known.any():
        return proxy
    at = hours[known]
    anomaly = measured[known] - proxy[known]
    # For every hour, the measured hours before and after it (indices into ``at``).
    after = np.searchsorted(at, hours)
    before = after - 1
    has_before, has_after = before >= 0, after < at.size
    t_before = np.where(has_before, at[np.maximum(before, 0)], np.iinfo(np.int64).min // 2)
    t_after = np.where(has_after, at[np.minimum(after, at.size - 1)], np.iinfo(np.int64).max // 2)
    a_before = anomaly[np.maximum(before, 0)]
    a_after = anomaly[np.minimum(after, at.size - 1)]
    limit = MAX_BRIDGE_H * HOUR
    inside = has_before & has_after & (t_after - t_before <= limit + HOUR)
    w = np.where(inside, (hours - t_before) / np.maximum(t_after - t_before, 1), 0.0)
    # Beyond the bridge, the hours within it of a measured edge hold that edge's anomaly.
    d_before, d_after = hours - t_before, t_after - hours
    near_before, near_after = has_before & (d_before <= limit), has_after & (d_after <= limit)
    held = np.where(near_before & (~near_after | (d_before <= d_after)), a_before, np.where(near_after, a_after, 0.0))
    bridged = np.where(inside, a_before * (1.0 - w) + a_after * w, held)
    return np.where(known, measured, proxy + bridged)


def local_calendar(hours: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local hour of day, local date ordinal and working-day flag of each hour start."""
    hours = np.asarray(hours, dtype=np.int64)
    if hours.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    local = hours + _offsets(hours, tz)
    # Ordinal of the local date: 1970-01-01 is ordinal 719163.
    ordinal = local // DAY + 719163
    days, inverse = np.unique(ordinal, return_inverse=True)
    workday = np.array([_workday(int(d)) for d in days])[inverse]
    return (local // HOUR) % 24, ordinal, workday


def hour_features(
    hours: np.ndarray, site: Site, *, opening: OpeningHours | None = None, measured: np.ndarray | None = None
) -> np.ndarray:
    """Feature matrix (n_hours, len(FEATURES)) for hour starts ``hours`` (UTC epoch s) at ``site``.

    ``opening`` may be :class:`models.schedule.OpeningHours` or hours learned per day
    (:class:`models.opening.LearnedHours`); by default, the site's prior (models.schedule).
    ``measured``: the site's measured outdoor temperature at each hour (NaN unknown), or None.
    """
    hours = np.asarray(hours, dtype=np.int64)
    out = np.zeros((hours.size, len(FEATURES)))
    if hours.size == 0:
        return out
    hour, ordinal, workday = local_calendar(hours, site.timezone)
    days, inverse = np.unique(ordinal, return_inverse=True)
    doy = np.array([date.fromordinal(int(d)).timetuple().tm_yday for d in days])[inverse]
    # The solar date: the day whose solar noon is nearest (as core.solar defines it).
    solar = (hours + 1800 + int(site.longitude * 240.0)) // DAY + 719163
    sdays, sinv = np.unique(solar, return_inverse=True)
    sun = np.array([_sun(site.latitude, site.longitude, int(d)) for d in sdays], dtype=np.int64)[sinv]
    lit = np.minimum(hours + HOUR, sun[:, 1]) - np.maximum(hours, sun[:, 0])
    temp = outdoor_temperature(hours, temperature_proxy(site.latitude, doy, hour), measured)
    hours_open = opening if opening is not None else opening_hours(site)
    is_open = hours_open.is_open(hour, workday, ordinal)
    cooling = np.clip(temp - COOLING_FROM_C, 0.0, None) / 10.0
    heating = np.clip(HEATING_BELOW_C - temp, 0.0, None) / 14.0
    out[:, HOUR_COL] = hour
    out[:, WORKDAY_COL] = workday
    out[:, DAYLIGHT_COL] = np.clip(lit, 0, HOUR) / HOUR
    out[:, OPEN_COL] = is_open
    out[:, 4:] = np.column_stack([cooling * is_open, cooling * (1 - is_open), heating * is_open, heating * (1 - is_open)])
    return out


def local_hour(hours: np.ndarray, tz: str = HOME_TIMEZONE) -> np.ndarray:
    """Local hour of day (0-23) of each hour start."""
    hours = np.asarray(hours, dtype=np.int64)
    if hours.size == 0:
        return np.zeros(0, dtype=int)
    return ((hours + _offsets(hours, tz)) // HOUR % 24).astype(int)
