"""Seeded planning of waste, data faults and meter events in realistic windows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np

from core.calendar import local_date
from core.domain import Meter, Site, SiteType
from core.solar import sun_times
from core.timebase import DAY, HOUR
from core.waste import WasteKind
from simulators.portfolio import Portfolio
from simulators.realism import SiteHours
from simulators.schedules import OPENING_HOURS, local_midnight
from simulators.waste import DATA_FAULT_KINDS, METER_EVENT_KINDS, WASTE_CATEGORIES, WASTE_KINDS, WasteEvent

W = WasteKind

#: The kinds plan_waste places unless told otherwise (its behaviour before the other
#: kinds existed, which seeded detector tests rely on).
DEFAULT_WASTE_KINDS = (W.LIGHTS_DAYLIGHT, W.HVAC_AFTER_HOURS, W.PUMP_NIGHT)
#: Attempts to place an event before giving up on it (windows may fall off the range
#: or overlap another event on the same meter).
_PLACEMENT_TRIES = 20
#: Extra load as a share of the meter's rating, low and high, by kind.
_EXTRA_SHARE: dict[str, tuple[float, float]] = {
    W.LIGHTS_DAYLIGHT: (0.6, 0.9),
    W.LIGHTS_AFTER_HOURS: (0.5, 0.9),
    W.HVAC_AFTER_HOURS: (0.3, 0.6),
    W.PUMP_NIGHT: (0.4, 0.8),
    W.BASE_LOAD_CREEP: (0.1, 0.3),
    W.ELEVATOR_IDLE: (0.15, 0.3),
    W.COMPRESSED_AIR_LEAK: (0.15, 0.35),
}
#: Waste that lasts days or weeks may run past the end of the range; it is cut there.
_LONG = frozenset({W.BASE_LOAD_CREEP, W.ELEVATOR_IDLE, W.COMPRESSED_AIR_LEAK})
#: Days a base-load creep takes to reach its full extra load, low and high: a filter fouls
#: or a set point drifts over one to three weeks (four days is the quickest that still
#: reads as a ramp in daily base loads rather than a step).
CREEP_RAMP_DAYS = (4.0, 21.0)
#: Days the crept load then stays until someone fixes it, low and high.
CREEP_HOLD_DAYS = (3.0, 21.0)
#: A creep is only planned where its ramp completes at least this long before the end of
#: the range: a creep cut while still growing is a different, smaller event (see
#: docs/simulator.md), and one that has barely begun cannot be found by anyone.
MIN_CREEP_HOLD_S = 3 * DAY
#: Duration of data faults in hours, low and high (spikes and resets hit one reading).
_FAULT_HOURS = {"stuck_register": (2.0, 48.0), "dropout": (1.0, 24.0)}
#: Default scenario mix: waste events per site-week, and faults per meter-week.
DEFAULT_MIX: dict[str, float] = {k: 0.3 for k in WASTE_KINDS}
DEFAULT_FAULTS: dict[str, float] = {}


def _workday_hours(site: Site, hours: SiteHours | None = None, ts: int = 0) -> tuple[float, float]:
    table = OPENING_HOURS[site.site_type] if hours is None else hours.at(ts)
    return table["workday"] or (8, 19)


def _window(kind: str, site: Site, day: date, rng: np.random.Generator, hours: SiteHours | None = None) -> tuple[int, int] | None:
    midnight = local_midnight(day, site.timezone)
    closing = _workday_hours(site, hours, midnight)  # its own hours that day, in the realistic scenario
    hour = lambda h: midnight + int(h * HOUR)  # noqa: E731 - local hour of ``day`` to epoch
    if kind == W.LIGHTS_DAYLIGHT:
        # Someone switches to manual or a photocell fails in the morning; found by evening.
        sunrise, sunset = sun_times(site.latitude, site.longitude, day)
        start = sunrise + int(rng.uniform(1.0, 3.0) * HOUR)
        end = min(start + int(rng.uniform(4.0, 8.0) * HOUR), sunset - 1800)
        return (start, end) if end - start >= 2 * HOUR else None
    if kind == W.HVAC_AFTER_HOURS:
        # Left running when the building closes, until someone notices next morning.
        start = hour(closing[1] + rng.uniform(0.5, 2.0))
        return start, start + int(rng.uniform(4.0, 9.0) * HOUR)
    if kind == W.PUMP_NIGHT:
        # A stuck pressure switch keeps the pump running through the low-demand night.
        start = hour(rng.uniform(22.0, 25.0))
        return start, start + int(rng.uniform(3.0, 6.0) * HOUR)
    if kind == W.LIGHTS_AFTER_HOURS:
        # Nobody switches the lobby, garage or facade lights off at closing; on until morning.
        opens, closes = closing
        return hour(closes + rng.uniform(0.25, 1.0)), hour(24 + opens - rng.uniform(0.0, 1.0))
    if kind == W.ELEVATOR_IDLE:
        # A lift or escalator kept out of standby after service, for a few nights. A site that
        # closes near midnight can draw an end before the start: it then runs a night longer
        # (same draws, so every other event of the seed stays where it was).
        start, end = hour(closing[1] + rng.uniform(0.0, 1.0)), hour(24 * rng.uniform(1.0, 5.0))
        while end <= start:
            end += DAY
        return start, end
    if kind == W.COMPRESSED_AIR_LEAK:
        # A fitting fails during a shift; the leak bleeds until the next maintenance round.
        start = hour(rng.uniform(8.0, 18.0))
        return start, start + int(rng.uniform(7.0, 28.0) * DAY)
    raise ValueError(f"unknown waste kind {kind!r}")


def _candidates(site: Site, meters: list[Meter], kinds: tuple[str, ...]) -> list[tuple[str, Meter]]:
    out = [(kind, m) for kind in kinds for m in meters if m.category in WASTE_CATEGORIES[kind]]
    if site.site_type is SiteType.RESIDENTIAL:
        # Residential public HVAC is small; after-hours waste there is rare and tiny.
        out = [(k, m) for k, m in out if k != W.HVAC_AFTER_HOURS] or out
    return out


def _free(busy: dict[str, list[tuple[int, int]]], meter_id: str, window: tuple[int, int]) -> bool:
    taken = busy.setdefault(meter_id, [])
    if any(window[0] < b and a < window[1] for a, b in taken):
        return False
    taken.append(window)
    return True


def _days(site: Site, start: int, end: int) -> tuple[date, int]:
    first_day = local_date(start, site.timezone) - timedelta(days=1)
    return first_day, (local_date(end, site.timezone) - first_day).days + 1


def plan_waste(
    portfolio: Portfolio,
    start: int,
    end: int,
    events_per_site_week: float,
    seed: int,
    kinds: tuple[str, ...] = DEFAULT_WASTE_KINDS,
) -> list[WasteEvent]:
    """Seeded waste events inside ``[start, end)``, about ``events_per_site_week`` per site-week.

    Each event picks a kind among ``kinds`` (weighted by how many meters can have it).
    """
    if end <= start or events_per_site_week <= 0:
        return []
    rng = np.random.default_rng([seed, 0x3A57E])
    weeks = (end - start) / (7 * DAY)
    events: list[WasteEvent] = []
    for site in portfolio.sites:
        candidates = _candidates(site, portfolio.meters[site.site_id], kinds)
        n = int(rng.poisson(events_per_site_week * weeks))
        if not candidates:
            continue
        first_day, n_days = _days(site, start, end)
        busy: dict[str, list[tuple[int, int]]] = {}
        for _ in range(n):
            for _ in range(_PLACEMENT_TRIES):
                kind, meter = candidates[int(rng.integers(len(candidates)))]
                event = _place(kind, site, meter, first_day + timedelta(days=int(rng.integers(n_days))), start, end, rng)
                if event is not None and _free(busy, meter.meter_id, (event.start, event.end)):
                    events.append(event)
                    break
    return sorted(events, key=lambda e: (e.start, e.meter_id))


def _creep(site: Site, meter: Meter, day: date, end: int, rng: np.random.Generator) -> WasteEvent | None:
    """Fouled filters, a drifting set point: the base load creeps up for days, then stays until fixed."""
    start = local_midnight(day, site.timezone) + int(rng.uniform(0.0, 24.0) * HOUR)
    ramp_end = start + int(rng.uniform(*CREEP_RAMP_DAYS) * 86400)
    fixed = ramp_end + int(rng.uniform(*CREEP_HOLD_DAYS) * 86400)
    lo, hi = _EXTRA_SHARE[W.BASE_LOAD_CREEP]
    extra = round(meter.rated_kw * float(rng.uniform(lo, hi)), 2)
    if ramp_end + MIN_CREEP_HOLD_S > end:
        return None
    return WasteEvent(site.site_id, meter.meter_id, W.BASE_LOAD_CREEP, start, fixed, extra, ramp_end).cut(end)


def _place(
    kind: str, site: Site, meter: Meter, day: date, start: int, end: int, rng: np.random.Generator, hours: SiteHours | None = None
) -> WasteEvent | None:
    if kind == W.BASE_LOAD_CREEP:
        event = _creep(site, meter, day, end, rng)
        return event if event is not None and event.start >= start else None
    window = _window(kind, site, day, rng, hours)
    lo, hi = _EXTRA_SHARE[kind]
    extra = round(meter.rated_kw * float(rng.uniform(lo, hi)), 2)
    if window is None or window[0] < start:
        return None
    event = WasteEvent(site.site_id, meter.meter_id, kind, window[0], window[1], extra)
    if window[1] > end:
        if kind not in _LONG or end - window[0] < DAY:
            return None
        event = event.cut(end)  # a ramped kind keeps its slope
    return event


def plan_scenarios(
    portfolio: Portfolio,
    start: int,
    end: int,
    mix: Mapping[str, float] | None = None,
    faults: Mapping[str, float] | None = None,
    seed: int = 0,
    step_s: int = 900,
    hours: Mapping[str, SiteHours] | None = None,
    faults_overlap_waste: bool = False,
) -> list[WasteEvent]:
    """Seeded waste, data faults and meter events for ``[start, end)``, sorted by start.

    ``mix`` maps a waste kind to events per site-week (default DEFAULT_MIX); ``faults``
    maps a data-fault or meter-event kind to events per meter-week (default none).
    Faults and meter events are aligned to reading times (``start`` + k ``step_s``) and
    never overlap waste or each other on one meter, so their effects stay separable, unless
    ``faults_overlap_waste`` (then only each other). ``hours`` (site id -> SiteHours) places
    after-hours waste by each site's own hours instead of its type's.
    """
    mix = DEFAULT_MIX if mix is None else mix
    faults = DEFAULT_FAULTS if faults is None else faults
    unknown = (set(mix) - set(WASTE_KINDS)) | (set(faults) - set(DATA_FAULT_KINDS) - set(METER_EVENT_KINDS))
    if unknown:
        raise ValueError(f"unknown event kinds {sorted(unknown)}")
    if end <= start:
        return []
    weeks = (end - start) / (7 * DAY)
    events: list[WasteEvent] = []
    busy: dict[str, list[tuple[int, int]]] = {}
    for i, kind in enumerate(WASTE_KINDS):  # fixed order: the same mix gives the same plan
        rate = mix.get(kind, 0.0)
        if rate <= 0:
            continue
        rng = np.random.default_rng([seed, 0x5CE7, i])
        for site in portfolio.sites:
            n = int(rng.poisson(rate * weeks))
            candidates = [m for k, m in _candidates(site, portfolio.meters[site.site_id], (kind,))]
            if not n or not candidates:
                continue
            first_day, n_days = _days(site, start, end)
            for _ in range(n):
                for _ in range(_PLACEMENT_TRIES):
                    meter = candidates[int(rng.integers(len(candidates)))]
                    day = first_day + timedelta(days=int(rng.integers(n_days)))
                    event = _place(kind, site, meter, day, start, end, rng, (hours or {}).get(site.site_id))
                    if event is not None and _free(busy, meter.meter_id, (event.start, event.end)):
                        events.append(event)
                        break
    events += _plan_faults(portfolio, start, end, faults, seed, step_s, {} if faults_overlap_waste else busy)
    return sorted(events, key=lambda e: (e.start, e.meter_id, e.kind))


def _plan_faults(
    portfolio: Portfolio,
    start: int,
    end: int,
    faults: Mapping[str, float],
    seed: int,
    step_s: int,
    busy: dict[str, list[tuple[int, int]]],
) -> list[WasteEvent]:
    meters = list(portfolio.all_meters())
    weeks = (end - start) / (7 * DAY)
    n_steps = (end - start) // step_s
    out: list[WasteEvent] = []
    for i, kind in enumerate((*DATA_FAULT_KINDS, *METER_EVENT_KINDS)):
        rate = faults.get(kind, 0.0)
        if rate <= 0 or n_steps < 2:
            continue
        rng = np.random.default_rng([seed, 0xFA17, i])
        counts = rng.poisson(rate * weeks, size=len(meters))
        for m_idx in np.flatnonzero(counts):
            meter = meters[m_idx]
            for _ in range(int(counts[m_idx])):
                for _ in range(_PLACEMENT_TRIES):
                    # Never the first reading: it is the meter's starting register.
                    t = start + int(rng.integers(1, n_steps)) * step_s
                    lo_h, hi_h = _FAULT_HOURS.get(kind, (0.0, 0.0))
                    length = max(step_s, int(rng.uniform(lo_h, hi_h) * HOUR) // step_s * step_s)
                    window = (t, min(end, t + length))
                    if _free(busy, meter.meter_id, window):
                        out.append(WasteEvent(meter.site_id, meter.meter_id, kind, window[0], window[1], 0.0))
                        break
    return out
