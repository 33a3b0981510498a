"""Expected mean power of a meter over an interval, from its category and the site context."""

from __future__ import annotations

import math
from collections.abc import Callable

from core.domain import Meter, MeterCategory, Site, SiteType
from simulators.climate import DISTRICT_HEATING_LAT
from simulators.schedules import SiteContext

C = MeterCategory

#: Relative standard deviation of the per-interval noise by category: steady loads
#: (lighting on a contactor) barely vary, EV charging sessions come and go.
NOISE_SD: dict[MeterCategory, float] = {
    C.CORRIDOR_LIGHTING: 0.03,
    C.LOBBY_LIGHTING: 0.03,
    C.GARAGE_LIGHTING: 0.03,
    C.LANDSCAPE_LIGHTING: 0.02,
    C.PUBLIC_HVAC: 0.08,
    C.ELEVATOR: 0.15,
    C.WATER_PUMP: 0.10,
    C.LANDSCAPE_PUMP: 0.05,
    C.EV_CHARGER: 0.35,
    C.PV: 0.05,
    C.GAS: 0.15,
    C.AIR_COMPRESSOR: 0.08,
    C.CHILLER: 0.06,
}
#: A meter never draws more than this share of its rating (short overloads aside).
MAX_LOAD = 1.1
#: kWh of heat in one m3 of pipeline natural gas (lower heating value, about 36 MJ/m3).
KWH_PER_M3_GAS = 10.0
#: Share of clear-sky irradiance a PV system turns into AC output (inverter, soiling, heat).
PV_PERFORMANCE_RATIO = 0.8
#: Outdoor temperatures (deg C) above which cooling, and below which heating, starts.
COOLING_FROM_C = 24.0
HEATING_BELOW_C = 14.0

_EV_RESIDENTIAL = (0.55, 0.50, 0.40, 0.30, 0.20, 0.15, 0.10, 0.05, 0.05, 0.05, 0.05, 0.05,
                   0.05, 0.05, 0.05, 0.05, 0.05, 0.10, 0.20, 0.40, 0.55, 0.65, 0.65, 0.60)


def _corridor(m: Meter, s: Site, x: SiteContext) -> float:
    # Photocell-controlled: exit signs only by day, sensor-dimmed late at night.
    night = 0.35 + 0.55 * x.activity
    return x.daylight_frac * 0.03 + (1.0 - x.daylight_frac) * night


def _lobby(m: Meter, s: Site, x: SiteContext) -> float:
    if s.site_type is SiteType.RESIDENTIAL:
        return 0.3 + (1.0 - x.daylight_frac) * 0.5 * x.activity
    return x.open_frac * (0.9 - 0.2 * x.daylight_frac) + (1.0 - x.open_frac) * 0.1


def _garage(m: Meter, s: Site, x: SiteContext) -> float:
    # Underground: always on at a low level, brighter when cars come and go.
    return 0.3 + 0.4 * x.activity


def _landscape(m: Meter, s: Site, x: SiteContext) -> float:
    evening = 17.0 <= x.local_hour < 23.0
    return (1.0 - x.daylight_frac) * 0.9 if evening else 0.0


def _climate_need(s: Site, x: SiteContext) -> float:
    cooling = min(1.0, max(0.0, (x.temp_c - COOLING_FROM_C) / 10.0))
    heating = min(1.0, max(0.0, (HEATING_BELOW_C - x.temp_c) / 14.0))
    if s.latitude >= DISTRICT_HEATING_LAT:
        heating *= 0.15  # only air-handler fans; the heat comes from the district network
    return max(cooling, heating)


def _hvac(m: Meter, s: Site, x: SiteContext) -> float:
    running = 0.15 + 0.75 * _climate_need(s, x)
    if s.site_type is SiteType.RESIDENTIAL:
        running *= 0.4 + 0.6 * x.activity  # lobby and clubhouse units follow the residents
    return x.open_frac * running + (1.0 - x.open_frac) * 0.02


def _chiller(m: Meter, s: Site, x: SiteContext) -> float:
    cooling = min(1.0, max(0.0, (x.temp_c - COOLING_FROM_C + 4.0) / 12.0))
    # Process cooling keeps a base load; comfort cooling follows the weather.
    return x.open_frac * (0.25 + 0.6 * cooling) + (1.0 - x.open_frac) * (0.08 + 0.1 * cooling)


def _elevator(m: Meter, s: Site, x: SiteContext) -> float:
    return 0.04 + 0.45 * x.activity


def _water_pump(m: Meter, s: Site, x: SiteContext) -> float:
    # Variable-speed booster pumps follow the water drawn, which follows the people.
    return 0.08 + 0.6 * x.activity


def _landscape_pump(m: Meter, s: Site, x: SiteContext) -> float:
    shows = 9.0 <= x.local_hour < 11.0 or 18.0 <= x.local_hour < 21.0
    return 0.8 if shows and x.temp_c > 8.0 else 0.0


def _ev_charger(m: Meter, s: Site, x: SiteContext) -> float:
    if s.site_type is SiteType.RESIDENTIAL:
        return _EV_RESIDENTIAL[int(x.local_hour) % 24]
    return 0.05 + 0.5 * x.activity * x.open_frac


def _pv(m: Meter, s: Site, x: SiteContext) -> float:
    if x.sun_elevation <= 0.0:
        return 0.0
    irradiance = math.sin(math.radians(x.sun_elevation)) ** 1.2
    return PV_PERFORMANCE_RATIO * x.clear_sky * irradiance


def _gas(m: Meter, s: Site, x: SiteContext) -> float:
    meals = 10.5 <= x.local_hour < 13.0 or 16.5 <= x.local_hour < 19.0
    cooking = 0.6 if meals else 0.15
    return x.open_frac * cooking * (0.5 + 0.5 * x.activity) + (1.0 - x.open_frac) * 0.02


def _air_compressor(m: Meter, s: Site, x: SiteContext) -> float:
    # Off shift the compressors still run at a fraction to feed leaks in the network.
    return x.open_frac * (0.55 + 0.25 * x.activity) + (1.0 - x.open_frac) * 0.15


_PROFILES: dict[MeterCategory, Callable[[Meter, Site, SiteContext], float]] = {
    C.CORRIDOR_LIGHTING: _corridor,
    C.LOBBY_LIGHTING: _lobby,
    C.GARAGE_LIGHTING: _garage,
    C.LANDSCAPE_LIGHTING: _landscape,
    C.PUBLIC_HVAC: _hvac,
    C.CHILLER: _chiller,
    C.ELEVATOR: _elevator,
    C.WATER_PUMP: _water_pump,
    C.LANDSCAPE_PUMP: _landscape_pump,
    C.EV_CHARGER: _ev_charger,
    C.PV: _pv,
    C.GAS: _gas,
    C.AIR_COMPRESSOR: _air_compressor,
}


def expected_kw(meter: Meter, site: Site, ctx: SiteContext) -> float:
    """Mean power (kW; thermal kW for gas, generated kW for PV) over ``ctx``'s interval."""
    return meter.rated_kw * _PROFILES[meter.category](meter, site, ctx)


def noisy_kw(meter: Meter, expected: float, z: float) -> float:
    """``expected`` perturbed by a standard-normal draw ``z``, kept within 0..MAX_LOAD x rated."""
    factor = max(0.0, 1.0 + NOISE_SD[meter.category] * z)
    return min(meter.rated_kw * MAX_LOAD, expected * factor)
