"""Expected mean power of every meter over an interval, from its load profile and its site's context."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.domain import MeterCategory, SiteType
from simulators.context import SITE_TYPES, StepContext

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
#: On district heating the public HVAC only speeds up its air-handler fans in the cold:
#: this share of the heating need shows on the electricity meter.
DISTRICT_HEATING_SHARE = 0.05
_RESIDENTIAL = SITE_TYPES.index(SiteType.RESIDENTIAL)

_EV_RESIDENTIAL = np.array(
    (
        0.55,
        0.50,
        0.40,
        0.30,
        0.20,
        0.15,
        0.10,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.05,
        0.10,
        0.20,
        0.40,
        0.55,
        0.65,
        0.65,
        0.60,
    )
)


class View:
    """A step context gathered for a group of meters: every array has one entry per meter."""

    def __init__(self, ctx: StepContext, site_idx: np.ndarray, residential: np.ndarray, heating_share: np.ndarray) -> None:
        self.daylight = ctx.daylight_frac[site_idx]
        self.open = ctx.open_frac[site_idx]
        self.act = ctx.activity[site_idx]
        self.hour = ctx.local_hour[site_idx]
        self.temp = ctx.temp_c[site_idx]
        self.sun = ctx.sun_elevation[site_idx]
        self.sky = ctx.clear_sky[site_idx]
        self.residential = residential
        #: 1 where the public HVAC heats, DISTRICT_HEATING_SHARE where the district network does.
        self.heating_share = heating_share


def _cooling(v: View, offset: float = 0.0, span: float = 10.0) -> np.ndarray:
    return np.clip((v.temp - COOLING_FROM_C + offset) / span, 0.0, 1.0)


def _heating(v: View) -> np.ndarray:
    return np.clip((HEATING_BELOW_C - v.temp) / 14.0, 0.0, 1.0)


def _corridor(v: View) -> np.ndarray:
    # Photocell-controlled: exit signs only by day, sensor-dimmed late at night.
    return v.daylight * 0.03 + (1.0 - v.daylight) * (0.35 + 0.55 * v.act)


def _lobby(v: View) -> np.ndarray:
    commercial = v.open * (0.9 - 0.2 * v.daylight) + (1.0 - v.open) * 0.1
    return np.where(v.residential, 0.3 + (1.0 - v.daylight) * 0.5 * v.act, commercial)


def _garage(v: View) -> np.ndarray:
    # Underground: always on at a low level, brighter when cars come and go.
    return 0.3 + 0.4 * v.act


def _landscape(v: View) -> np.ndarray:
    evening = (v.hour >= 17.0) & (v.hour < 23.0)
    return np.where(evening, (1.0 - v.daylight) * 0.9, 0.0)


def _hvac(v: View) -> np.ndarray:
    need = np.maximum(_cooling(v), _heating(v) * v.heating_share)
    running = 0.15 + 0.75 * need
    running = np.where(v.residential, running * (0.4 + 0.6 * v.act), running)  # lobby units follow residents
    return v.open * running + (1.0 - v.open) * 0.02


def _chiller(v: View) -> np.ndarray:
    cooling = _cooling(v, offset=4.0, span=12.0)
    # Process cooling keeps a base load; comfort cooling follows the weather.
    return v.open * (0.25 + 0.6 * cooling) + (1.0 - v.open) * (0.08 + 0.1 * cooling)


def _elevator(v: View) -> np.ndarray:
    return 0.04 + 0.45 * v.act


def _escalator(v: View) -> np.ndarray:
    # Escalators run continuously in service hours (slower when empty) and stop outside them.
    return v.open * (0.45 + 0.25 * v.act) + (1.0 - v.open) * 0.01


def _water_pump(v: View) -> np.ndarray:
    # Variable-speed booster pumps follow the water drawn, which follows the people.
    return 0.08 + 0.6 * v.act


def _landscape_pump(v: View) -> np.ndarray:
    shows = ((v.hour >= 9.0) & (v.hour < 11.0)) | ((v.hour >= 18.0) & (v.hour < 21.0))
    return np.where(shows & (v.temp > 8.0), 0.8, 0.0)


def _ev_charger(v: View) -> np.ndarray:
    residential = _EV_RESIDENTIAL[v.hour.astype(np.int64) % 24]
    return np.where(v.residential, residential, 0.05 + 0.5 * v.act * v.open)


def _pv(v: View) -> np.ndarray:
    irradiance = np.sin(np.radians(np.clip(v.sun, 0.0, 90.0))) ** 1.2
    return PV_PERFORMANCE_RATIO * v.sky * irradiance


def _gas_canteen(v: View) -> np.ndarray:
    meals = ((v.hour >= 10.5) & (v.hour < 13.0)) | ((v.hour >= 16.5) & (v.hour < 19.0))
    cooking = np.where(meals, 0.6, 0.15)
    return v.open * cooking * (0.5 + 0.5 * v.act) + (1.0 - v.open) * 0.02


def _gas_boiler(v: View) -> np.ndarray:
    # Hot water all year; space heating in the cold months, set back when the site is closed.
    heat = _heating(v)
    return v.open * (0.15 + 0.7 * heat) + (1.0 - v.open) * (0.05 + 0.3 * heat)


def _air_compressor(v: View) -> np.ndarray:
    # Off shift the compressors still run at a fraction to feed leaks in the network.
    return v.open * (0.55 + 0.25 * v.act) + (1.0 - v.open) * 0.15


#: Load profiles by name: a share of the meter's rating as a function of the context.
#: A meter's profile is its category value unless the portfolio names another.
PROFILES: dict[str, Callable[[View], np.ndarray]] = {
    C.CORRIDOR_LIGHTING.value: _corridor,
    C.LOBBY_LIGHTING.value: _lobby,
    C.GARAGE_LIGHTING.value: _garage,
    C.LANDSCAPE_LIGHTING.value: _landscape,
    C.PUBLIC_HVAC.value: _hvac,
    C.CHILLER.value: _chiller,
    C.ELEVATOR.value: _elevator,
    "escalator": _escalator,
    C.WATER_PUMP.value: _water_pump,
    C.LANDSCAPE_PUMP.value: _landscape_pump,
    C.EV_CHARGER.value: _ev_charger,
    C.PV.value: _pv,
    C.GAS.value: _gas_canteen,
    "gas_canteen": _gas_canteen,
    "gas_boiler": _gas_boiler,
    C.AIR_COMPRESSOR.value: _air_compressor,
}


class LoadModel:
    """Expected and noisy mean power of many meters at once (kW; thermal kW for gas)."""

    def __init__(
        self,
        site_idx: np.ndarray,
        profiles: list[str],
        categories: list[MeterCategory],
        rated_kw: np.ndarray,
        site_type_idx: np.ndarray,
        district_heating: np.ndarray,
    ) -> None:
        self.rated_kw = rated_kw
        self.cap_kw = rated_kw * MAX_LOAD
        self.noise_sd = np.array([NOISE_SD[c] for c in categories])
        self._groups = []
        names = np.array(profiles)
        for name in sorted(set(profiles)):
            idx = np.flatnonzero(names == name)
            sites = site_idx[idx]
            residential = site_type_idx[sites] == _RESIDENTIAL
            heating_share = np.where(district_heating[sites], DISTRICT_HEATING_SHARE, 1.0)
            self._groups.append((PROFILES[name], idx, sites, residential, heating_share))

    def expected_kw(self, ctx: StepContext) -> np.ndarray:
        """Mean power each meter would draw over ``ctx``'s interval, without noise."""
        out = np.empty(len(self.rated_kw))
        for profile, idx, sites, residential, heating_share in self._groups:
            out[idx] = profile(View(ctx, sites, residential, heating_share))
        return out * self.rated_kw

    def noisy_kw(self, expected: np.ndarray, z: np.ndarray) -> np.ndarray:
        """``expected`` perturbed by standard-normal draws ``z``, kept within 0..MAX_LOAD x rated."""
        return np.minimum(self.cap_kw, expected * np.maximum(0.0, 1.0 + self.noise_sd * z))
