"""A site's carbon ledger: Scope 1 gas, Scope 2 location- and market-based, per period, with completeness."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.carbon import totals as roles
from core.carbon.completeness import infer_interval
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
from core.domain import GAS_CATEGORIES, GENERATION_CATEGORIES, Meter, Site
from core.store.daily import DayEnergy, next_day

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
class DayData:
    """What the store said about ``[start, end)``: energy per meter and day, and grid import per day (PV sites)."""

    start: int
    end: int
    days: Sequence[DayEnergy]
    imports: dict[int, float] | None = None


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


class _Factors:
    """Factor lookups per reading year, cached for one ledger."""

    def __init__(self, province: str, table: FactorTable, year: int | None) -> None:
        self.province, self.table, self.fixed_year = province, table, year
        self.gas = gas_factor(table)
        self._by_year: dict[int, tuple[EmissionFactor, EmissionFactor]] = {}

    def electricity(self, year: int) -> tuple[EmissionFactor, EmissionFactor]:
        year = self.fixed_year if self.fixed_year is not None else year
        if year not in self._by_year:
            location = electricity_factor(self.province, year, self.table)
            residual = residual_mix_factor(year, self.table)
            for factor in (location, residual):
                if factor.unit != ELECTRICITY_UNIT:
                    raise ValueError(f"electricity factor {factor.key} in {factor.unit!r}, expected {ELECTRICITY_UNIT!r}")
            self._by_year[year] = (location, residual)
        return self._by_year[year]


def build_ledger(
    site: Site,
    meters: Sequence[Meter],
    main: DayData,
    *,
    extra: Sequence[DayData] = (),
    instruments: Sequence[GreenInstrument] = (),
    granularity: str | None = None,
    now: int | None = None,
    year: int | None = None,
    table: FactorTable | None = None,
) -> SiteCarbon:
    """The ledger of ``site`` over ``main``'s range from daily store aggregates.

    ``extra`` holds the days of instrument periods outside the range: certificates are
    spread over their whole period, so coverage inside the range depends on them.
    ``year`` forces one factor year for every day (the default is each day's own year).
    """
    tz = site_zone(site)
    now = int(time.time()) if now is None else now
    factors = _Factors(site.province, table or load_factors(), year)
    by_id = {m.meter_id: m for m in meters}
    has_pv = any(m.category in GENERATION_CATEGORIES for m in meters)

    # Slots: one per (fetched range, local day), keyed by their start, so partial edge
    # days of the main range stay apart from the instrument-period days around them.
    slot_end: dict[int, int] = {}
    grid: dict[int, float] = {}
    slots: dict[int, dict] = {}
    spacings: dict[str, list[float]] = {}
    unclassified: set[str] = set()
    for part in (main, *extra):
        consumption: dict[int, float] = {}
        in_main = part is main
        for row in part.days:
            meter = by_id.get(row.meter_id)
            if meter is None:
                unclassified.add(row.meter_id)
                continue
            lo, hi = max(row.day, part.start), min(next_day(row.day, tz), part.end)
            slot_end[lo] = hi
            category = meter.category
            if category not in GAS_CATEGORIES and category not in GENERATION_CATEGORIES:
                consumption[lo] = consumption.get(lo, 0.0) + row.energy
            if not in_main:
                continue
            acc = slots.get(lo)
            if acc is None:
                acc = slots[lo] = {"gas": 0.0, "pv": 0.0, "kwh": 0.0, "readings": 0, "cat": {}}
            acc["readings"] += row.readings
            if category in GAS_CATEGORIES:
                acc["gas"] += row.energy
            elif category in GENERATION_CATEGORIES:
                acc["pv"] += row.energy
            else:
                acc["kwh"] += row.energy
                acc["cat"][category.value] = acc["cat"].get(category.value, 0.0) + row.energy
            observed = min(hi, now) - lo
            if observed > 0 and row.readings:
                spacings.setdefault(row.meter_id, []).append(observed / row.readings)
        for lo, kwh in consumption.items():
            imported = kwh
            if has_pv and part.imports is not None:
                # The store nets PV per quarter hour; it cannot exceed what was consumed.
                imported = min(kwh, max(0.0, part.imports.get(_day_of(lo, tz), kwh)))
            grid[lo] = imported
    certified = allocate(instruments, grid, slot_end) if instruments else {}

    periods = split(main.start, main.end, tz, granularity)
    starts = [p.start for p in periods]
    period_totals = [CarbonTotals() for _ in periods]
    period_logs = [FactorLog() for _ in periods]
    for lo in sorted(slots):
        acc = slots[lo]
        i = index_of(periods, starts, lo)
        t, log = period_totals[i], period_logs[i]
        reading_year = datetime.fromtimestamp(lo, tz).year
        location, residual = factors.electricity(reading_year)
        grid_kwh = grid.get(lo, 0.0)
        covered = min(grid_kwh, certified.get(lo, 0.0))
        t.kwh += acc["kwh"]
        t.grid_kwh += grid_kwh
        t.pv_kwh += acc["pv"]
        t.pv_self_consumed_kwh += acc["kwh"] - grid_kwh
        t.certified_kwh += covered
        t.gas_m3 += acc["gas"]
        t.scope2_location_kg += grid_kwh * location.value
        t.scope2_market_kg += (grid_kwh - covered) * residual.value
        t.scope1_kg += acc["gas"] * factors.gas.value
        t.readings += acc["readings"]
        for category, kwh in acc["cat"].items():
            t.kwh_by_category[category] = t.kwh_by_category.get(category, 0.0) + kwh
        if grid_kwh or acc["kwh"]:
            log.record(roles.LOCATION, location, reading_year, grid_kwh)
            log.record(roles.RESIDUAL, residual, reading_year, grid_kwh - covered)
        if acc["gas"]:
            log.record(roles.GAS, factors.gas, reading_year, acc["gas"])

    intervals = {m.meter_id: infer_interval(spacings.get(m.meter_id, ())) for m in meters}
    per_second = sum(1.0 / s for s in intervals.values())
    total, log = CarbonTotals(), FactorLog()
    for period, t, period_log in zip(periods, period_totals, period_logs):
        t.expected_readings = max(0, min(period.end, now) - period.start) * per_second
        total.add(t)
        log.merge(period_log)

    first_year = year if year is not None else factor_year(main.start)
    location, residual = factors.electricity(first_year)
    return SiteCarbon(
        site_id=site.site_id,
        start=main.start,
        end=main.end,
        year=first_year,
        totals=total,
        periods=tuple(PeriodCarbon(p, t, l.uses()) for p, t, l in zip(periods, period_totals, period_logs)),
        factors=log.uses(),
        electricity_factor=location,
        residual_factor=residual,
        gas_factor=factors.gas,
        intervals=intervals,
        unclassified_meters=tuple(sorted(unclassified)),
    )


def _day_of(ts: int, tz: ZoneInfo) -> int:
    local = datetime.fromtimestamp(ts, tz)
    return int(datetime(local.year, local.month, local.day, tzinfo=tz).timestamp())
