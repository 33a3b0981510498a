"""Measured outdoor temperature of a site: what a value must be to be believed, and the hour it
counts for. One home for these rules: the MQTT decoder, the CSV import and the API use them.

A site's weather is optional. Without it the detector uses a climate-normal proxy
(``models.features.temperature_proxy``); with it, the measured hours (see ``models.features``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from core.timebase import HOUR

#: Coldest and hottest outdoor air temperatures believed (deg C). The records are -89.2 C
#: (Vostok) and 56.7 C (Death Valley); the margin keeps a hot rooftop sensor, not a unit
#: mistake (Fahrenheit 100 F, Kelvin 293 K, a raw 1e308) that would bend every baseline.
MIN_TEMP_C, MAX_TEMP_C = -90.0, 70.0
#: Dead-letter kind (and API error code) of a temperature outside the range or not a number.
BAD_TEMPERATURE = "bad_temperature"


class TemperaturePoint(NamedTuple):
    """One measured outdoor temperature (UTC epoch seconds, deg C) of a site."""

    site_id: str
    ts: int
    temp_c: float


class InvalidTemperature(ValueError):
    """A temperature that is not a finite number within [MIN_TEMP_C, MAX_TEMP_C]."""


def check_temperature(value: object) -> float:
    """``value`` as deg C, or InvalidTemperature saying why it cannot be outdoor air."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidTemperature(f"temp_c {str(value)[:40]!r} is not a number")
    try:
        number = float(value)
    except OverflowError:
        raise InvalidTemperature(f"temp_c is out of range ({len(str(value))} digits)") from None
    if not math.isfinite(number):
        raise InvalidTemperature(f"temp_c {number} is not finite")
    if not MIN_TEMP_C <= number <= MAX_TEMP_C:
        raise InvalidTemperature(f"temp_c {number:g} C is outside {MIN_TEMP_C:g}..{MAX_TEMP_C:g} C (outdoor air in deg C)")
    return number


def hourly(points: Iterable[TemperaturePoint]) -> dict[tuple[str, int], float]:
    """Mean temperature per (site, hour start): samples within an hour count once together."""
    sums: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0.0, 0])
    for p in points:
        acc = sums[(p.site_id, p.ts // HOUR * HOUR)]
        acc[0] += p.temp_c
        acc[1] += 1
    return {key: total / n for key, (total, n) in sums.items()}
