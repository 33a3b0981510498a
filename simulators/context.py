"""What every meter of a site sees over one interval, computed for all sites at once with numpy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from core.calendar import day_kind
from core.domain import Site, SiteType
from core.solar import daylight_fraction_array, solar_elevation_array
from core.timebase import DAY, HOUR
from simulators.climate import Weather, seasonal_temp, site_climate
from simulators.realism import WEEK, Realism, SiteHours, site_slopes
from simulators.schedules import ACTIVITY, OPENING_HOURS
from simulators.weather import FrontWeather

#: Day kinds in the order of the codes in ``StepContext.kind``.
DAY_KINDS = ("workday", "weekend", "holiday")
SITE_TYPES = tuple(SiteType)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=4096)
def _kind_code(day_index: int) -> int:
    return DAY_KINDS.index(day_kind(date.fromordinal(_EPOCH_ORDINAL + day_index)))


@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def _offset_s(tz: str, instant: datetime) -> float:
    """Seconds ``tz`` is ahead of UTC at ``instant``."""
    offset = _zone(tz).utcoffset(instant)
    assert offset is not None  # a ZoneInfo has an offset at every instant
    return offset.total_seconds()


def _hours_table() -> tuple[np.ndarray, np.ndarray]:
    """Opening and closing hour by [site type, day kind]; closed days open and close at 0."""
    opens = np.zeros((len(SITE_TYPES), len(DAY_KINDS)))
    closes = np.zeros_like(opens)
    for i, t in enumerate(SITE_TYPES):
        for k, kind in enumerate(DAY_KINDS):
            hours = OPENING_HOURS[t][kind]
            if hours is not None:
                opens[i, k], closes[i, k] = hours
    return opens, closes


def _activity_table() -> np.ndarray:
    """Activity by [site type, 0 workday / 1 otherwise, hour 0..24] (hour 24 repeats hour 0)."""
    table = np.zeros((len(SITE_TYPES), 2, 25))
    for i, t in enumerate(SITE_TYPES):
        for g, kind in enumerate(("workday", "weekend")):
            row = ACTIVITY[t][kind]
            table[i, g, :24] = row
            table[i, g, 24] = row[0]
    return table


_OPENS, _CLOSES = _hours_table()
_ACTIVITY = _activity_table()


@dataclass(frozen=True, slots=True)
class StepContext:
    """Per-site arrays for the interval ``[t0, t1)``; index i is ``SiteTable.sites[i]``."""

    t0: int
    t1: int
    #: Index into DAY_KINDS of each site's local day at mid-interval.
    kind: np.ndarray
    local_hour: np.ndarray
    daylight_frac: np.ndarray
    open_frac: np.ndarray
    activity: np.ndarray
    temp_c: np.ndarray
    sun_elevation: np.ndarray
    clear_sky: np.ndarray

    @property
    def hours(self) -> float:
        return (self.t1 - self.t0) / HOUR


def _site_hours_table(sites: list[Site], hours: dict[str, SiteHours], ts: int) -> tuple[np.ndarray, np.ndarray]:
    """Opening and closing hour by [site, day kind] in force at ``ts``."""
    opens = np.zeros((len(sites), len(DAY_KINDS)))
    closes = np.zeros_like(opens)
    for i, site in enumerate(sites):
        table = hours[site.site_id].at(ts) if site.site_id in hours else OPENING_HOURS[site.site_type]
        for k, kind in enumerate(DAY_KINDS):
            span = table[kind]
            if span is not None:
                opens[i, k], closes[i, k] = span
    return opens, closes


class SiteTable:
    """The sites of a portfolio as arrays, and their context over any interval up to a day."""

    def __init__(self, sites: list[Site], seed: int, realism: Realism | None = None) -> None:
        self.sites = sites
        self.realism = realism or Realism()
        self.lat = np.array([s.latitude for s in sites], dtype=float)
        self.lon = np.array([s.longitude for s in sites], dtype=float)
        self.type_idx = np.array([SITE_TYPES.index(s.site_type) for s in sites], dtype=np.int64)
        climate = [site_climate(s) for s in sites]
        self.jan_c = np.array([c[0] for c in climate])
        self.jul_c = np.array([c[1] for c in climate])
        self.district_heating = np.array([c[2] for c in climate], dtype=bool)
        self.zones = sorted({s.timezone for s in sites})
        self.zone_idx = np.array([self.zones.index(s.timezone) for s in sites], dtype=np.int64)
        places = sorted({s.city or s.site_id for s in sites})
        self.place_idx = np.array([places.index(s.city or s.site_id) for s in sites], dtype=np.int64)
        self.weather = (FrontWeather if self.realism.fronts else Weather)(seed, places)
        self._sun_cache: dict = {}
        # Opening hours by [site, day kind], one table per period between changes of any site.
        type_hours = (_OPENS[self.type_idx], _CLOSES[self.type_idx])
        hours = dict(self.realism.hours or {})
        self._hour_periods = [(-(2**62), *(_site_hours_table(sites, hours, -(2**62)) if hours else type_hours))]
        for since in sorted({c for h in hours.values() for c in h.changes}):
            self._hour_periods.append((since, *_site_hours_table(sites, hours, since)))
        self._slopes = site_slopes(len(sites), self.realism)

    def _hours_at(self, ts: int) -> tuple[np.ndarray, np.ndarray]:
        table = self._hour_periods[0]
        for period in self._hour_periods:
            if period[0] <= ts:
                table = period
        return table[1], table[2]

    def _offsets(self, ts: int) -> np.ndarray:
        """UTC offset in seconds of each site's zone at ``ts``."""
        instant = datetime.fromtimestamp(ts, tz=UTC)
        per_zone = np.array([_offset_s(z, instant) for z in self.zones], dtype=np.int64)
        return per_zone[self.zone_idx]

    def _kinds(self, day_index: np.ndarray) -> np.ndarray:
        if len(self.zones) == 1:  # the usual case: one local day for every site
            return np.full(day_index.shape, _kind_code(int(day_index[0])), dtype=np.int64)
        return np.array([_kind_code(int(d)) for d in day_index], dtype=np.int64)

    def _open_frac(self, t0: int, t1: int, offsets: np.ndarray) -> np.ndarray:
        first = np.floor_divide(t0 + offsets, DAY)
        last = np.floor_divide(t1 - 1 + offsets, DAY)
        total = np.zeros(len(self.sites))
        opens, closes = self._hours_at(t0)
        rows = np.arange(len(self.sites))
        for shift in (0, 1):  # intervals are at most a day, so they touch at most two local days
            day = first + shift
            kind = self._kinds(day)
            midnight = day * DAY - offsets
            start = midnight + opens[rows, kind] * HOUR
            end = midnight + closes[rows, kind] * HOUR
            seconds = np.clip(np.minimum(t1, end) - np.maximum(t0, start), 0, None)
            total += np.where(day <= last, seconds, 0)
        return total / (t1 - t0)

    def context(self, t0: int, t1: int) -> StepContext:
        """Day kind, daylight, opening, activity and weather of every site over ``[t0, t1)``."""
        mid = (t0 + t1) // 2
        offsets = self._offsets(mid)
        local = mid + offsets
        day_index = np.floor_divide(local, DAY)
        hour = (local - day_index * DAY) / HOUR
        kind = self._kinds(day_index)
        group = np.minimum(kind, 1)
        h = hour.astype(np.int64)
        frac = hour - h
        act = _ACTIVITY[self.type_idx, group, h] * (1.0 - frac) + _ACTIVITY[self.type_idx, group, h + 1] * frac
        if self.realism.drift_per_week:
            # Occupancy drifts: tenants come and go, a season starts (never below half or above 1.5x).
            weeks = (mid - self.realism.drift_origin) / WEEK
            act = act * np.clip(1.0 + self._slopes * weeks, 0.5, 1.5)
        ordinal = int(day_index[0]) + _EPOCH_ORDINAL
        day_of_year = (date.fromordinal(ordinal) - date(date.fromordinal(ordinal).year, 1, 1)).days + 1
        if len(self.zones) == 1:
            today = self.weather.anomaly(ordinal)[self.place_idx]
            tomorrow = self.weather.anomaly(ordinal + 1)[self.place_idx]
            sky = self.weather.clear_sky(ordinal)[self.place_idx]
            doy = np.full(len(self.sites), day_of_year)
        else:  # sites whose local dates differ: look each one up
            ords = day_index + _EPOCH_ORDINAL
            today = np.array([self.weather.anomaly(int(o))[p] for o, p in zip(ords, self.place_idx, strict=True)])
            tomorrow = np.array([self.weather.anomaly(int(o) + 1)[p] for o, p in zip(ords, self.place_idx, strict=True)])
            sky = np.array([self.weather.clear_sky(int(o))[p] for o, p in zip(ords, self.place_idx, strict=True)])
            doy = np.array([(date.fromordinal(int(o)) - date(date.fromordinal(int(o)).year, 1, 1)).days + 1 for o in ords])
        # Anomaly interpolated between day centres, so the weather changes smoothly.
        w = hour / 24.0
        temp = seasonal_temp(self.jan_c, self.jul_c, doy, hour) + today * (1.0 - w) + tomorrow * w
        temp = temp + self.weather.front(day_index + _EPOCH_ORDINAL, hour, self.place_idx)
        return StepContext(
            t0=t0,
            t1=t1,
            kind=kind,
            local_hour=hour,
            daylight_frac=daylight_fraction_array(self.lat, self.lon, t0, t1, self._sun_cache),
            open_frac=self._open_frac(t0, t1, offsets),
            activity=act,
            temp_c=temp,
            sun_elevation=solar_elevation_array(self.lat, self.lon, mid),
            clear_sky=sky,
        )
