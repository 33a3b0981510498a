"""Outdoor climate per city: temperature by season and hour, day-to-day weather, cloudiness."""

from __future__ import annotations

import math
import zlib

import numpy as np

from core.domain import Site
from simulators.cities import CITY_BY_NAME

#: Fallback for a site outside the city table: January and July means (deg C) at anchor
#: latitudes, read off Haikou, Guangzhou, Shanghai, Beijing and Harbin normals.
_ANCHOR_LAT = (18.0, 23.0, 31.0, 40.0, 46.0)
_ANCHOR_JAN = (18.2, 13.9, 4.8, -3.1, -17.6)
_ANCHOR_JUL = (29.1, 29.0, 28.7, 26.9, 23.7)
#: Day of year of the warmest days (late July across China).
_WARMEST_DOY = 202
#: Half the day-night swing; 4 deg C is typical of humid Chinese cities.
_DIURNAL_SWING = 4.0
#: Standard deviation of the day-to-day weather anomaly (deg C).
_ANOMALY_SD = 2.5
#: Fallback for sites outside the city table: north of the Qinling-Huaihe line buildings
#: are heated by district heating, not by the electric public HVAC the meters see.
DISTRICT_HEATING_LAT = 33.0
#: Weather days kept in the cache; a step needs today and tomorrow.
_CACHE_DAYS = 8


def unit_hash(*parts: object) -> float:
    """A stable uniform number in [0, 1) from ``parts`` (Python's hash() is salted)."""
    return zlib.crc32(":".join(map(str, parts)).encode()) / 2**32


def _normal_from(*parts: object) -> float:
    """A stable standard-normal number from ``parts`` (Box-Muller on two hashes)."""
    u1 = max(unit_hash(*parts, "a"), 1e-12)
    u2 = unit_hash(*parts, "b")
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def site_climate(site: Site) -> tuple[float, float, bool]:
    """January mean, July mean (deg C) and whether the site is on district heating."""
    city = CITY_BY_NAME.get(site.city)
    if city is not None:
        return city.jan_c, city.jul_c, city.district_heating
    jan = float(np.interp(site.latitude, _ANCHOR_LAT, _ANCHOR_JAN))
    jul = float(np.interp(site.latitude, _ANCHOR_LAT, _ANCHOR_JUL))
    return jan, jul, site.latitude >= DISTRICT_HEATING_LAT


def seasonal_temp(jan_c: np.ndarray, jul_c: np.ndarray, day_of_year: np.ndarray, local_hour: np.ndarray) -> np.ndarray:
    """Normal temperature (deg C) for the day of year and local hour, without weather."""
    mean = (jan_c + jul_c) / 2.0
    swing = (jul_c - jan_c) / 2.0
    seasonal = swing * np.cos(2.0 * np.pi * (day_of_year - _WARMEST_DOY) / 365.25)
    # Coldest near 05:00, warmest near 15:00.
    diurnal = _DIURNAL_SWING * np.cos(2.0 * np.pi * (local_hour - 15.0) / 24.0)
    return mean + seasonal + diurnal


class Weather:
    """Seeded day-to-day weather of named places (a city is one weather cell)."""

    def __init__(self, seed: int, places: list[str]) -> None:
        self.seed = seed
        self.places = places
        self._anomaly: dict[int, np.ndarray] = {}
        self._sky: dict[int, np.ndarray] = {}

    def _cached(self, cache: dict[int, np.ndarray], ordinal: int, make) -> np.ndarray:
        value = cache.get(ordinal)
        if value is None:
            if len(cache) >= _CACHE_DAYS:
                cache.pop(min(cache))
            value = cache[ordinal] = np.array([make(p) for p in self.places], dtype=float)
        return value

    def anomaly(self, ordinal: int) -> np.ndarray:
        """Weather anomaly (deg C) of each place on the day with proleptic ``ordinal``."""
        return self._cached(self._anomaly, ordinal, lambda p: _ANOMALY_SD * _normal_from(self.seed, p, ordinal))

    def clear_sky(self, ordinal: int) -> np.ndarray:
        """Share of clear-sky PV output reaching the panels (clouds, haze): 0.2-1.0."""
        return self._cached(self._sky, ordinal, lambda p: 0.2 + 0.8 * unit_hash(self.seed, p, ordinal, "sky") ** 0.6)

    def front(self, ordinal: np.ndarray, hour: np.ndarray, place_idx: np.ndarray) -> np.ndarray | float:
        """Temperature change from fronts: none in this smooth weather (simulators.weather has them)."""
        return 0.0
