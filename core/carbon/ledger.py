"""A site's carbon ledger: Scope 1 gas, Scope 2 location- and market-based, per period, with completeness."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.calendar import HOME_TIMEZONE
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
from core.carbon.segments import KINDS, Folded, Observed, SegmentData, fold
from core.carbon.totals import CarbonTotals, FactorLog, FactorUse
from core.domain import Meter, Site

__all__ = ["PeriodCarbon", "SiteCarbon", "build_ledger", "factor_year", "site_zone"]

#: Calendar of the factor year rule: the MEE factors are Chinese calendar-year figures.
FACTOR_TIMEZONE = ZoneInfo(HOME_TIMEZONE)


def factor_year(ts: int) -> int:
    """The calendar year (Asia/Shanghai) of an epoch-seconds timestamp."""
    return datetime.fromtimestamp(ts, FACTOR_TIMEZONE).year


def site_zone(site: Site) -> ZoneInfo:
    try:
        return ZoneInfo(site.timezone)
    except (ValueError, ZoneInfoNotFoundError):
        return FACTOR_TIMEZONE


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


#: Factor choices per (table, province, year) and the gas factor per table: a portfolio asks the
#: same few thousands of times. Tables are immutable, so a choice is too; 10,000 entries hold
#: every province and year of a few tables (custom tables in tests come and go).
@lru_cache(maxsize=10_000)
def _electricity(table: FactorTable, province: str, year: int) -> tuple[EmissionFactor, EmissionFactor]:
    location = electricity_factor(province, year, table)
    residual = residual_mix_factor(year, table)
    for factor in (location, residual):
        if factor.unit != ELECTRICITY_UNIT:
            raise ValueError(f"electricity factor {factor.key} in {factor.unit!r}, expected {ELECTRICITY_UNIT!r}")
    return location, residual


_gas = lru_cache(maxsize=100)(gas_factor)


class _Factors:
    """The factors of one site: gas, and electricity per reading year (or one forced year)."""

    def __init__(self, province: str, table: FactorTable, year: int | None) -> None:
        self.province, self.table, self.fixed_year = province, table, year
        self.gas = _gas(table)

    def electricity(self, year: int) -> tuple[EmissionFactor, EmissionFactor]:
        """(location-based, residual-mix) factors for readings of ``year``."""
        return _electricity(self.table, self.province, self.fixed_year if self.fixed_year is not None else year)


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
    folded = fold(main, extra, {m.meter_id: KINDS[m.category] for m in meters}, now)
    certified = allocate(instruments, folded.grid, folded.slot_end) if instruments else {}
    periods = split(main.start, main.end, tz, granularity)
    period_totals, period_logs = _priced(periods, folded, certified, factors, tz)
    intervals = {m.meter_id: _interval(folded.busiest.get(m.meter_id, 0), folded.observed.get(m.meter_id)) for m in meters}
    _expect(periods, period_totals, intervals, folded.first_read, main.start, now)
    period_carbon = tuple(PeriodCarbon(p, t, log.uses()) for p, t, log in zip(periods, period_totals, period_logs, strict=True))
    total, uses = _range_totals(period_carbon, period_logs)
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
        unclassified_meters=tuple(sorted(folded.unclassified)),
    )


def _priced(
    periods: Sequence[Period], folded: Folded, certified: dict[int, float], factors: _Factors, tz: ZoneInfo
) -> tuple[list[CarbonTotals], list[FactorLog]]:
    """Totals and factor logs per period: each segment priced with its reading year's factors."""
    starts = [p.start for p in periods]
    period_totals = [CarbonTotals() for _ in periods]
    period_logs = [FactorLog() for _ in periods]
    for lo in sorted(folded.slots):
        slot = folded.slots[lo]
        i = index_of(periods, starts, lo)
        t, log = period_totals[i], period_logs[i]
        reading_year = datetime.fromtimestamp(lo, tz).year
        location, residual = factors.electricity(reading_year)
        grid_kwh = folded.grid.get(lo, 0.0)
        covered = min(grid_kwh, certified.get(lo, 0.0))
        t.kwh += slot.kwh
        t.grid_kwh += grid_kwh
        t.pv_kwh += slot.pv_kwh
        t.pv_self_consumed_kwh += slot.kwh - grid_kwh
        t.certified_kwh += covered
        t.gas_m3 += slot.gas_m3
        t.scope2_location_kg += grid_kwh * location.value
        t.scope2_market_kg += (grid_kwh - covered) * residual.value
        t.scope1_kg += slot.gas_m3 * factors.gas.value
        t.readings += slot.readings
        for category, value in slot.kwh_by_category.items():
            t.kwh_by_category[category] = t.kwh_by_category.get(category, 0.0) + value
        if grid_kwh or slot.kwh:
            log.record(roles.LOCATION, location, reading_year, grid_kwh)
            log.record(roles.RESIDUAL, residual, reading_year, grid_kwh - covered)
        if slot.gas_m3:
            log.record(roles.GAS, factors.gas, reading_year, slot.gas_m3)
    return period_totals, period_logs


def _expect(
    periods: Sequence[Period],
    period_totals: Sequence[CarbonTotals],
    intervals: dict[str, int],
    first_read: int | None,
    start: int,
    now: int,
) -> None:
    """Set each period's expected readings and the span completeness covers."""
    per_second = sum(1.0 / s for s in intervals.values())
    # Completeness counts from the first segment with readings: a portfolio that started this
    # month is not 2 % complete over the year. A registered site with no readings at all is
    # expected over the whole range (silent, not new).
    covered_from = start if first_read is None else first_read
    for period, t in zip(periods, period_totals, strict=True):
        lo, hi = max(period.start, covered_from), min(period.end, now)
        t.expected_readings = max(0, hi - lo) * per_second
        if hi > lo:
            t.covered_start, t.covered_end = lo, hi


def _range_totals(
    period_carbon: Sequence[PeriodCarbon], period_logs: Sequence[FactorLog]
) -> tuple[CarbonTotals, tuple[FactorUse, ...]]:
    """The range's totals and factors: the sum of its periods'."""
    total = CarbonTotals()
    if len(period_carbon) == 1:
        # A portfolio's sites have one period: the range's totals are that period's (a copy,
        # so that neither can change the other), and so are its factors.
        total.add(period_carbon[0].totals)
        return total, period_carbon[0].factors
    log = FactorLog()
    for pc, period_log in zip(period_carbon, period_logs, strict=True):
        total.add(pc.totals)
        log.merge(period_log)
    return total, log.uses()


@lru_cache(maxsize=4096)
def _interval_of_busiest(busiest_day: int) -> int:
    # infer_interval of one spacing is that spacing snapped (a portfolio asks this per meter,
    # and its meters share a handful of values).
    return snap(86400 / busiest_day)


def _interval(busiest_day: int, observed: Observed | None) -> int:
    """Reporting interval: a day over the most readings in one whole day; else observed seconds per reading."""
    if busiest_day > 0:
        return _interval_of_busiest(busiest_day)
    if observed and observed.readings and observed.seconds > 0:
        return snap(observed.seconds / observed.readings)
    return DEFAULT_INTERVAL_S
