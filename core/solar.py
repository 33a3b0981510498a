"""Sunrise, sunset and sun elevation from the NOAA simplified solar position equations.

Accurate to a minute or two between the polar circles, which is far finer than
the 15-minute meter interval. Times are UTC epoch seconds; ``day`` is the local
calendar date, i.e. the date whose solar noon falls on that day at ``lon``
(true for every Chinese city, whose solar noon is near 04:00 UTC).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import numpy as np

__all__ = [
    "sun_times",
    "is_daylight",
    "solar_elevation",
    "daylight_seconds",
    "sun_times_array",
    "solar_elevation_array",
    "daylight_fraction_array",
]

#: Sun's centre 0.833 deg below the horizon: refraction plus the solar disc radius.
_ZENITH_RISE_SET = math.radians(90.833)
_EPOCH = date(1970, 1, 1)


def _fractional_year(day_of_year: int, hour_utc: float) -> float:
    return 2.0 * math.pi / 365.0 * (day_of_year - 1 + (hour_utc - 12.0) / 24.0)


def _equation_of_time(g: float) -> float:
    """Minutes by which apparent solar time runs ahead of mean solar time."""
    return 229.18 * (
        0.000075 + 0.001868 * math.cos(g) - 0.032077 * math.sin(g) - 0.014615 * math.cos(2 * g) - 0.040849 * math.sin(2 * g)
    )


def _declination(g: float) -> float:
    """Solar declination in radians."""
    return (
        0.006918
        - 0.399912 * math.cos(g)
        + 0.070257 * math.sin(g)
        - 0.006758 * math.cos(2 * g)
        + 0.000907 * math.sin(2 * g)
        - 0.002697 * math.cos(3 * g)
        + 0.00148 * math.sin(3 * g)
    )


@lru_cache(maxsize=8192)
def sun_times(lat: float, lon: float, day: date) -> tuple[int, int]:
    """Sunrise and sunset on local date ``day`` as UTC epoch seconds.

    Under polar day the pair spans the whole solar day (noon -/+ 12 h); under
    polar night both equal solar noon, so the day has zero length.
    """
    g = _fractional_year(day.timetuple().tm_yday, 12.0)
    eqtime = _equation_of_time(g)
    decl = _declination(g)
    phi = math.radians(lat)
    midnight = (day - _EPOCH).days * 86400
    noon_min = 720.0 - 4.0 * lon - eqtime
    cos_ha = math.cos(_ZENITH_RISE_SET) / (math.cos(phi) * math.cos(decl)) - math.tan(phi) * math.tan(decl)
    if cos_ha >= 1.0:  # polar night: the sun never rises
        ha_min = 0.0
    elif cos_ha <= -1.0:  # polar day: the sun never sets
        ha_min = 720.0
    else:
        ha_min = 4.0 * math.degrees(math.acos(cos_ha))
    sunrise = midnight + round((noon_min - ha_min) * 60.0)
    sunset = midnight + round((noon_min + ha_min) * 60.0)
    return sunrise, sunset


def _solar_date(lon: float, ts: int) -> date:
    """The local solar date containing ``ts`` (the day whose solar noon is nearest)."""
    return datetime.fromtimestamp(ts + lon * 240.0, tz=UTC).date()


def is_daylight(lat: float, lon: float, ts: int) -> bool:
    """True when the sun is above the horizon at ``ts`` (UTC epoch seconds)."""
    sunrise, sunset = sun_times(lat, lon, _solar_date(lon, ts))
    return sunrise <= ts < sunset


def daylight_seconds(lat: float, lon: float, t0: int, t1: int) -> int:
    """Seconds of daylight within ``[t0, t1)``."""
    total = 0
    day = _solar_date(lon, t0) - timedelta(days=1)
    last = _solar_date(lon, t1) + timedelta(days=1)
    while day <= last:
        sunrise, sunset = sun_times(lat, lon, day)
        total += max(0, min(t1, sunset) - max(t0, sunrise))
        day += timedelta(days=1)
    return total


def solar_elevation(lat: float, lon: float, ts: int) -> float:
    """Elevation of the sun above the horizon in degrees (negative at night)."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    hour = dt.hour + dt.minute / 60.0 + dt.second / 3600.0
    g = _fractional_year(dt.timetuple().tm_yday, hour)
    true_solar_min = hour * 60.0 + _equation_of_time(g) + 4.0 * lon
    ha = math.radians(true_solar_min / 4.0 - 180.0)
    phi = math.radians(lat)
    decl = _declination(g)
    cos_zenith = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(ha)
    return 90.0 - math.degrees(math.acos(max(-1.0, min(1.0, cos_zenith))))


# Vectorised forms of the above, for many sites at once (the simulator's hot loop).
# Same equations; numpy arrays in, numpy arrays out.


def _equation_of_time_np(g: np.ndarray) -> np.ndarray:
    return 229.18 * (0.000075 + 0.001868 * np.cos(g) - 0.032077 * np.sin(g) - 0.014615 * np.cos(2 * g) - 0.040849 * np.sin(2 * g))


def _declination_np(g: np.ndarray) -> np.ndarray:
    return (
        0.006918
        - 0.399912 * np.cos(g)
        + 0.070257 * np.sin(g)
        - 0.006758 * np.cos(2 * g)
        + 0.000907 * np.sin(2 * g)
        - 0.002697 * np.cos(3 * g)
        + 0.00148 * np.sin(3 * g)
    )


def _day_of_year(day_index: np.ndarray) -> np.ndarray:
    """Day of year (1-366) of days counted from 1970-01-01, without datetime objects."""
    # Civil-from-days (H. Hinnant): exact for the proleptic Gregorian calendar.
    z = day_index + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy_mar = doe - (365 * yoe + yoe // 4 - yoe // 100)  # days since 1 March
    year = yoe + era * 400 + (doy_mar >= 306)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return np.where(doy_mar >= 306, doy_mar - 305, doy_mar + 60 + leap)


def sun_times_array(lat: np.ndarray, lon: np.ndarray, day_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sunrise and sunset (UTC epoch seconds, float) on solar days ``day_index`` (days since 1970-01-01)."""
    day_index = np.asarray(day_index, dtype=np.int64)
    g = 2.0 * np.pi / 365.0 * (_day_of_year(day_index) - 1)
    eqtime = _equation_of_time_np(g)
    decl = _declination_np(g)
    phi = np.radians(lat)
    noon_min = 720.0 - 4.0 * np.asarray(lon) - eqtime
    cos_ha = math.cos(_ZENITH_RISE_SET) / (np.cos(phi) * np.cos(decl)) - np.tan(phi) * np.tan(decl)
    ha_min = 4.0 * np.degrees(np.arccos(np.clip(cos_ha, -1.0, 1.0)))
    midnight = day_index * 86400.0
    return midnight + (noon_min - ha_min) * 60.0, midnight + (noon_min + ha_min) * 60.0


def daylight_fraction_array(lat: np.ndarray, lon: np.ndarray, t0: int, t1: int, cache: dict | None = None) -> np.ndarray:
    """Share of ``[t0, t1)`` in daylight at each site (intervals up to a day long).

    ``cache``, a dict the caller keeps for one set of sites, saves recomputing the
    sun times of the same days step after step.
    """
    day = np.floor_divide(t0 + np.asarray(lon) * 240.0, 86400).astype(np.int64)
    key = day.tobytes()
    times = cache.get(key) if cache is not None else None
    if times is None:
        times = [sun_times_array(lat, lon, day + d) for d in (-1, 0, 1)]
        if cache is not None:
            cache.clear()  # the sites move on to the next day; old days are never asked again
            cache[key] = times
    total = np.zeros(np.shape(lat))
    for rise, sets in times:
        total += np.clip(np.minimum(t1, sets) - np.maximum(t0, rise), 0.0, None)
    return total / (t1 - t0)


def solar_elevation_array(lat: np.ndarray, lon: np.ndarray, ts: int) -> np.ndarray:
    """Elevation of the sun in degrees at ``ts`` for each site."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    hour = dt.hour + dt.minute / 60.0 + dt.second / 3600.0
    g = _fractional_year(dt.timetuple().tm_yday, hour)
    true_solar_min = hour * 60.0 + _equation_of_time(g) + 4.0 * np.asarray(lon)
    ha = np.radians(true_solar_min / 4.0 - 180.0)
    phi = np.radians(lat)
    decl = _declination(g)
    cos_zenith = np.sin(phi) * math.sin(decl) + np.cos(phi) * math.cos(decl) * np.cos(ha)
    return 90.0 - np.degrees(np.arccos(np.clip(cos_zenith, -1.0, 1.0)))
