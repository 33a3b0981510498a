"""A simple outdoor climate: temperature by latitude, season and hour; daily cloudiness."""

from __future__ import annotations

import math
import zlib

import numpy as np

#: Annual mean and half the July-January swing (deg C) at anchor latitudes, read off
#: Haikou, Guangzhou, Shanghai, Beijing and Harbin normals; interpolated in between.
_ANCHOR_LAT = (18.0, 23.0, 31.0, 40.0, 46.0)
_ANCHOR_MEAN = (25.0, 22.0, 17.2, 12.5, 4.5)
_ANCHOR_SWING = (5.0, 7.5, 12.0, 15.0, 20.0)
#: Day of year of the warmest days (late July across China).
_WARMEST_DOY = 202
#: Half the day-night swing; 4 deg C is typical of humid Chinese cities.
_DIURNAL_SWING = 4.0
#: Standard deviation of the day-to-day weather anomaly (deg C).
_ANOMALY_SD = 2.5
#: North of the Qinling-Huaihe line buildings are heated by district heating, not by
#: the electric public HVAC the meters see.
DISTRICT_HEATING_LAT = 33.0


def unit_hash(*parts: object) -> float:
    """A stable uniform number in [0, 1) from ``parts`` (Python's hash() is salted)."""
    return zlib.crc32(":".join(map(str, parts)).encode()) / 2**32


def _normal_from(*parts: object) -> float:
    """A stable standard-normal number from ``parts`` (Box-Muller on two hashes)."""
    u1 = max(unit_hash(*parts, "a"), 1e-12)
    u2 = unit_hash(*parts, "b")
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def outdoor_temp(lat: float, local_day_of_year: int, local_hour: float, seed: int, place: str, ordinal: int) -> float:
    """Outdoor air temperature in deg C.

    ``ordinal`` is the local date's proleptic ordinal, so the weather anomaly of a
    day is the same whichever run asks for it; ``place`` names the weather cell.
    """
    mean = float(np.interp(lat, _ANCHOR_LAT, _ANCHOR_MEAN))
    swing = float(np.interp(lat, _ANCHOR_LAT, _ANCHOR_SWING))
    seasonal = swing * math.cos(2.0 * math.pi * (local_day_of_year - _WARMEST_DOY) / 365.25)
    # Coldest near 05:00, warmest near 15:00.
    diurnal = _DIURNAL_SWING * math.cos(2.0 * math.pi * (local_hour - 15.0) / 24.0)
    # Anomaly interpolated between day centres, so the weather changes smoothly.
    frac = local_hour / 24.0
    today = _normal_from(seed, place, ordinal)
    tomorrow = _normal_from(seed, place, ordinal + 1)
    anomaly = _ANOMALY_SD * (today * (1.0 - frac) + tomorrow * frac)
    return mean + seasonal + diurnal + anomaly


def clear_sky_fraction(seed: int, place: str, ordinal: int) -> float:
    """Share of clear-sky PV output reaching the panels on a day (clouds, haze): 0.2-1.0."""
    return 0.2 + 0.8 * unit_hash(seed, place, ordinal, "sky") ** 0.6
