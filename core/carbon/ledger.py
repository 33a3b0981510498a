"""A site's carbon ledger: Scope 1 gas, Scope 2 location- and market-based, per period, with completeness."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.carbon import totals as roles
from core.carbon.completeness import DEFAULT_INTERVAL_S, snap
from core.carbon.factors import (
    ELECTRICITY_UNIT,
    EmissionFactor,
    FactorTable,
    electricity_factor,
    gas_factor,
    load_factors,
    residual_mix_factor,
)
from core.carbon.instruments import GreenInstrument, allocate
from core.carbon.periods import Period, index_of, split
from core.carbon.totals import CarbonTotals, FactorLog, FactorUse
from core.domain import GAS_CATEGORIES, GENERATION_CATEGORIES, Meter, MeterCategory, Site
from core.store.daily import SegmentEnergy

#: Calendar of the factor year rule: the MEE factors are Chinese calendar-year figures.
FACTOR_TIMEZONE = ZoneInfo("Asia/Shanghai")


def factor_year(ts: int) -> int:
    """The calendar year (Asia/Shanghai) of an epoch-seconds timestamp."""
    return datetime.fromtimestamp(ts, FACTOR_TIMEZONE).year


def site_zone(site: Site) -> ZoneInfo:
    try:
        return ZoneInfo(site.timezone)
    except (ValueError, ZoneInfoNotFoundError):
        return FACTOR_TIMEZONE


@dataclass(frozen=True, slots=True)
class SegmentData:
    """What the store said about segments ``[bounds[i], bounds[i + 1])``: energy per meter, grid import (PV sites)."""

    bounds: Sequence[int]
    rows: Sequence[SegmentEnergy]
    imports: dict[int, float] | None = None

    @property
    def start(self) -> int:
        return self.bounds[0]

    @property
    def end(self) -> int:
        return self.bounds[-1]


@dataclass(frozen=True, slots=True)
class PeriodCarbon:
    period: Period
    totals: CarbonTotals
    factors: tuple[FactorUse, ...]


@dataclass(frozen=True, slots=True)
class SiteCarbon:
    """One site's ledger over ``[start, end)``: totals, the periods asked for, and every factor applied."""

    site_id: str
    start: int
    end: int
    #: The year the factor rule gave the first reading day (factors per year are in ``factors``).
    year: int
    totals: CarbonTotals
    periods: tuple[PeriodCarbon, ...]
    factors: tuple[FactorUse, ...]
    electricity_factor: EmissionFactor
    residual_factor: EmissionFactor
    gas_factor: EmissionFactor
    #: Reporting interval (s) used for completeness, per registered meter.
    intervals: dict[str, int] = field(default_factory=dict)
    #: Meters with energy in the store but absent from the registry: not counted anywhere.
    unclassified_meters: tuple[str, ...] = ()

    # Flat accessors kept from the first ledger version.
    kwh = property(lambda self: self.totals.kwh)
    gas_m3 = property(lambda self: self.totals.gas_m3)
    pv_kwh = property(lambda self: self.totals.pv_kwh)
    scope1_kg = property(lambda self: self.totals.scope1_kg)
    scope2_location_kg = property(lambda self: self.totals.scope2_location_kg)
    total_kg = property(lambda self: self.totals.total_kg)
    kwh_by_category = property(lambda self: self.totals.kwh_by_category)


_CONSUMPTION, _GENERATION, _GAS = "consumption", "generation", "gas"
#: What each meter category does in a ledger, and its value (enum lookups are slow per row).
_KIND = {
    c: (_GAS if c in GAS_CATEGORIES else _GENERATION if c in GENERATION_CATEGORIES else _CONSUMPTION, c.value)
    for c in MeterCategory
}

#: Factor choices per (table, province, year); tables are immutable, so the choice is too.
#: The table itself is kept in the value so its id cannot be reused while cached.
_CHOSEN: dict[tuple[int, str, int], tuple[FactorTable, EmissionFactor, EmissionFactor]] = {}
#: The gas factor per table, kept the same way.
_GAS_FACTOR: dict[int, tuple[FactorTable, EmissionFactor]] = {}


class _Factors:
    """Factor lookups per reading year (a portfolio asks the same few thousands of times)."""

    def __init__(self, province: str, table: FactorTable, year: int | None) -> None:
        self.province, self.table, self.fixed_year = province, table, year
        cached = _GAS_FACTOR.get(id(table))
        if cached is None or cached[0] is not table:
            if len(_GAS_FACTOR) > 100:
                _GAS_FACTOR.clear()
            cached = _GAS_FACTOR[id(table)] = (table, gas_factor(table))
        self.gas = cached[1]

    def electricity(self, year: int) -> tuple[EmissionFactor, EmissionFactor]:
        year = self.fixed_year if self.fixed_year is not None else year
        key = (id(self.table), self.province, year)
        chosen = _CHOSEN.get(key)
        if chosen is None or chosen[0] is not self.table:
            location = electricity_factor(self.province, year, self.table)
            residual = residual_mix_factor(year, self.table)
            for factor in (location, residual):
                if factor.unit != ELECTRICITY_UNIT:
                    raise ValueError(f"electricity factor {factor.key} in {factor.unit!r}, expected {ELECTRICITY_UNIT!r}")
            if len(_CHOSEN) > 10_000:  # bounded: custom tables in tests come and go
                _CHOSEN.clear()
            chosen = _CHOSEN[key] = (self.table, location, residual)
        return chosen[1], chosen[2]


def build_ledger(
    site: Site,
    meters: Sequence[Meter],
    main: SegmentData,
    *,
    extra: Sequence[SegmentData] = (),
    instruments: Sequence[GreenInstrument] = (),
    granularity: str | None = None,
    now: int | None = None,
    year: int | None = None,
    table: FactorTable | None = None,
) -> SiteCarbon:
    """The ledger of ``site`` over ``main``'s range from per-segment store aggregates.

    ``main``'s bounds must include every period and local new-year boundary of the
    range (and instrument period ends), so each segment has one period and one year.
    ``extra`` holds instrument periods outside the range: certificates are spread over
    their whole period, so coverage inside the range depends on them. ``year`` forces
    one factor year for every segment (the default is each segment's own year).
    """
    tz = site_zone(site)
    now = int(time.time()) if now is None else now
    factors = _Factors(site.province, table or load_factors(), year)
    # meter -> (kind, category value): looked up once per meter, not per row.
    by_id = {m.meter_id: _KIND[m.category] for m in meters}
    has_pv = any(kind is _GENERATION for kind, _value in by_id.values())

    # Slots are segments keyed by their start: the parts are disjoint, so keys are unique.
    slot_end: dict[int, int] = {}
    grid: dict[int, float] = {}
    slots: dict[int, list] = {}
    busiest: dict[str, int] = {}
    observed: dict[str, list[float]] = {}
    unclassified: set[str] = set()
    for part in (main, *extra):
        consumption: dict[int, tuple[int, float]] = {}
        in_main = part is main
        bounds = part.bounds
        # Seconds of each segment observed so far (a row adds its segment's).
        elapsed = [max(0, min(hi, now) - lo) for lo, hi in zip(bounds, bounds[1:])]
        for row in part.rows:
            meter = by_id.get(row.meter_id)
            if meter is None:
                unclassified.add(row.meter_id)
                continue
            kind, category = meter
            lo, hi = bounds[row.segment], bounds[row.segment + 1]
            slot_end[lo] = hi
            if kind is _CONSUMPTION:
                consumption[lo] = (row.segment, consumption.get(lo, (0, 0.0))[1] + row.energy)
            if not in_main:
                continue
            acc = slots.get(lo)
            if acc is None:
                acc = slots[lo] = [0.0, 0.0, 0.0, 0, {}]  # kWh, PV kWh, gas m3, readings, kWh by category
            acc[3] += row.readings
            if kind is _GAS:
                acc[2] += row.energy
            elif kind is _GENERATION:
                acc[1] += row.energy
            else:
                acc[0] += row.energy
                acc[4][category] = acc[4].get(category, 0.0) + row.energy
            if row.busiest_day > busiest.get(row.meter_id, 0):
                busiest[row.meter_id] = row.busiest_day
            seen = observed.get(row.meter_id)
            if seen is None:
                observed[row.meter_id] = [elapsed[row.segment], row.readings]
            else:
                seen[0] += elapsed[row.segment]
                seen[1] += row.readings
        for lo, (segment, kwh) in consumption.items():
            imported = kwh
            if has_pv and part.imports is not None:
                # The store nets PV per quarter hour; the result cannot exceed what was consumed.
                imported = min(kwh, max(0.0, part.imports.get(segment, kwh)))
            grid[lo] = imported
    certified = allocate(instruments, grid, slot_end) if instruments else {}

    periods = split(main.start, main.end, tz, granularity)
    starts = [p.start for p in periods]
    period_totals = [CarbonTotals() for _ in periods]
    period_logs = [FactorLog() for _ in periods]
    for lo in sorted(slots):
        kwh, pv, gas_m3, readings, by_category = slots[lo]
        i = index_of(periods, starts, lo)
        t, log = period_totals[i], period_logs[i]
        reading_year = datetime.fromtimestamp(lo, tz).year
        location, residual = factors.electricity(reading_year)
        grid_kwh = grid.get(lo, 0.0)
        covered = min(grid_kwh, certified.get(lo, 0.0))
        t.kwh += kwh
        t.grid_kwh += grid_kwh
        t.pv_kwh += pv
        t.pv_self_consumed_kwh += kwh - grid_kwh
        t.certified_kwh += covered
        t.gas_m3 += gas_m3
        t.scope2_location_kg += grid_kwh * location.value
        t.scope2_market_kg += (grid_kwh - covered) * residual.value
        t.scope1_kg += gas_m3 * factors.gas.value
        t.readings += readings
        for category, value in by_category.items():
            t.kwh_by_category[category] = t.kwh_by_category.get(category, 0.0) + value
        if grid_kwh or kwh:
            log.record(roles.LOCATION, location, reading_year, grid_kwh)
            log.record(roles.RESIDUAL, residual, reading_year, grid_kwh - covered)
        if gas_m3:
            log.record(roles.GAS, factors.gas, reading_year, gas_m3)

    intervals = {m.meter_id: _interval(busiest.get(m.meter_id, 0), observed.get(m.meter_id)) for m in meters}
    per_second = sum(1.0 / s for s in intervals.values())
    # Completeness counts from the first segment with readings: a portfolio that started this
    # month is not 2 % complete over the year. A registered site with no readings at all is
    # expected over the whole range (silent, not new).
    covered_from = min((lo for lo, acc in slots.items() if acc[3] > 0), default=main.start)
    for period, t in zip(periods, period_totals):
        lo, hi = max(period.start, covered_from), min(period.end, now)
        t.expected_readings = max(0, hi - lo) * per_second
        if hi > lo:
            t.covered_start, t.covered_end = lo, hi
    period_carbon = tuple(PeriodCarbon(p, t, l.uses()) for p, t, l in zip(periods, period_totals, period_logs))
    if len(periods) == 1:
        # A portfolio's sites have one period: the range's totals are that period's (a copy,
        # so that neither can change the other), and so are its factors.
        total, uses = CarbonTotals(), period_carbon[0].factors
        total.add(period_totals[0])
    else:
        total, log = CarbonTotals(), FactorLog()
        for t, period_log in zip(period_totals, period_logs):
            total.add(t)
            log.merge(period_log)
        uses = log.uses()
    first_year = year if year is not None else factor_year(main.start)
    location, residual = factors.electricity(first_year)
    return SiteCarbon(
        site_id=site.site_id,
        start=main.start,
        end=main.end,
        year=first_year,
        totals=total,
        periods=period_carbon,
        factors=uses,
        electricity_factor=location,
        residual_factor=residual,
        gas_factor=factors.gas,
        intervals=intervals,
        unclassified_meters=tuple(sorted(unclassified)),
    )


#: Reporting interval by a meter's busiest day (readings): a portfolio asks for thousands of
#: meters and they share a handful of values.
_BY_BUSIEST_DAY: dict[int, int] = {}


def _interval(busiest_day: int, observed: list[float] | None) -> int:
    """Reporting interval: a day over the most readings in one whole day; else observed seconds per reading."""
    # infer_interval of one spacing is that spacing snapped (a portfolio asks this per meter).
    if busiest_day > 0:
        interval = _BY_BUSIEST_DAY.get(busiest_day)
        if interval is None:
            interval = _BY_BUSIEST_DAY[busiest_day] = snap(86400 / busiest_day)
        return interval
    if observed and observed[1] and observed[0] > 0:
        return snap(observed[0] / observed[1])
    return DEFAULT_INTERVAL_S
