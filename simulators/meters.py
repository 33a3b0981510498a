"""Meter hardware: register capacity (where it rolls over), resolution and starting registers."""

from __future__ import annotations

import math

import numpy as np

from core.domain import GAS_CATEGORIES, Meter, MeterCategory
from simulators.load import KWH_PER_M3_GAS, MAX_LOAD

#: DL/T 645 electricity meters show 6 integer and 2 decimal digits (999999.99 kWh).
DLT645_MAX = 999_999.99
#: Current-transformer ratios of larger meters; the gateway reports primary kWh, so
#: the register capacity and its resolution scale with the ratio.
CT_RATIOS = (1, 5, 10, 20, 40, 80, 160, 400)
#: A meter is sized to count this many years at full load before rolling over, so a
#: simulation never wraps a register unless a rollover is planned (or years are simulated).
YEARS_OF_HEADROOM = 4.0
#: Gas meters: 5 integer digits on small diaphragm meters, more on large rotary meters.
GAS_MIN_DIGITS = 5
#: Resolution of the last register digit (kWh or m3) before any CT ratio.
BASE_RESOLUTION = 0.01
#: Range of the seeded starting register: meters installed years ago, never at zero.
INITIAL_REGISTER = (1_000.0, 80_000.0)


def _full_load_units(category: MeterCategory, rated_kw: float) -> float:
    per_hour = rated_kw * MAX_LOAD / (KWH_PER_M3_GAS if category in GAS_CATEGORIES else 1.0)
    return per_hour * 8760.0 * YEARS_OF_HEADROOM


def ct_ratio(category: MeterCategory, rated_kw: float) -> int:
    """The smallest CT ratio whose register holds YEARS_OF_HEADROOM at full load (1 for gas)."""
    if category in GAS_CATEGORIES:
        return 1
    need = _full_load_units(category, rated_kw)
    return next((r for r in CT_RATIOS if DLT645_MAX * r >= need), CT_RATIOS[-1])


def register_max_for(category: MeterCategory, rated_kw: float) -> float:
    """Largest value the register shows before it rolls over to zero."""
    if category in GAS_CATEGORIES:
        digits = max(GAS_MIN_DIGITS, math.ceil(math.log10(_full_load_units(category, rated_kw))))
        return round(10.0**digits - BASE_RESOLUTION, 2)
    return round(DLT645_MAX * ct_ratio(category, rated_kw), 2)


def resolution_of(meter: Meter) -> float:
    """Smallest register step of ``meter`` (kWh or m3): 0.01 times its CT ratio."""
    return BASE_RESOLUTION * ct_ratio(meter.category, meter.rated_kw)


def initial_registers(meters: list[Meter], rng: np.random.Generator) -> np.ndarray:
    """Seeded starting registers, at most a quarter of each meter's capacity."""
    low, high = INITIAL_REGISTER
    start = rng.uniform(low, high, size=len(meters))
    cap = np.array([0.25 * (m.register_max or DLT645_MAX) for m in meters])
    return np.minimum(start, cap)
