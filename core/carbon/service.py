"""Carbon ledgers read from the store: one site, or a portfolio in a few round trips."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.calendar import HOME_TIMEZONE
from core.carbon.factors import FactorTable
from core.carbon.instruments import GreenInstrument
from core.carbon.ledger import PeriodCarbon, SiteCarbon, build_ledger, site_zone
from core.carbon.periods import Period, split
from core.carbon.segments import SegmentData
from core.carbon.totals import CarbonTotals, FactorUse
from core.domain import GENERATION_CATEGORIES, Meter, Site
from core.store.base import SeriesStore
from core.store.daily import SegmentEnergy


@dataclass(frozen=True, slots=True)
class SiteInputs:
    """A site with its registered meters and green instruments."""

    site: Site
    meters: Sequence[Meter]
    instruments: Sequence[GreenInstrument] = ()

    @property
    def has_pv(self) -> bool:
        return any(m.category in GENERATION_CATEGORIES for m in self.meters)


@dataclass(frozen=True, slots=True)
class PortfolioCarbon:
    """Every site's ledger over ``[start, end)``, their sum, and the sum per period label."""

    start: int
    end: int
    sites: tuple[SiteCarbon, ...]
    totals: CarbonTotals
    periods: tuple[PeriodCarbon, ...]
    factors: tuple[FactorUse, ...]


def bounds_for(
    start: int, end: int, tz: ZoneInfo, granularity: str | None, instruments: Sequence[GreenInstrument] = ()
) -> list[int]:
    """Segment bounds of ``[start, end)``: its periods, local new years, and instrument period ends inside it."""
    marks = {start, end}
    for period in split(start, end, tz, granularity):
        marks.update((period.start, period.end))
    year = datetime.fromtimestamp(start, tz).year + 1
    while (new_year := int(datetime(year, 1, 1, tzinfo=tz).timestamp())) < end:
        marks.add(new_year)
        year += 1
    for item in instruments:
        marks.update(b for b in (item.period_start, item.period_end) if start < b < end)
    return sorted(marks)


def _fetch(store: SeriesStore, inputs: Sequence[SiteInputs], bounds: Sequence[int]) -> dict[str, SegmentData]:
    """Energy per meter and segment, and PV-netted grid import, of each site: two queries per time zone."""
    by_zone: dict[str, list[SiteInputs]] = defaultdict(list)
    for item in inputs:
        by_zone[site_zone(item.site).key].append(item)
    rows: dict[str, list[SegmentEnergy]] = {item.site.site_id: [] for item in inputs}
    imports: dict[str, dict[int, float]] = {}
    for tz, group in by_zone.items():
        for row in store.energy_by_segment(bounds=bounds, site_ids=[item.site.site_id for item in group], tz=tz):
            if row.site_id in rows:
                rows[row.site_id].append(row)
        pv_sites = [item.site.site_id for item in group if item.has_pv]
        if pv_sites:
            for (site_id, segment), kwh in store.grid_import_by_segment(bounds=bounds, site_ids=pv_sites, tz=tz).items():
                imports.setdefault(site_id, {})[segment] = kwh
    return {
        item.site.site_id: SegmentData(
            bounds, rows[item.site.site_id], imports.get(item.site.site_id, {}) if item.has_pv else None
        )
        for item in inputs
    }


def _extra(store: SeriesStore, item: SiteInputs, start: int, end: int) -> list[SegmentData]:
    """The site's instrument periods outside ``[start, end)``, in segments cut at their own ends and new years."""
    touching = [i for i in item.instruments if i.period_start < end and i.period_end > start]
    if not touching:
        return []
    tz = site_zone(item.site)
    spans = [(min(i.period_start for i in touching), start), (end, max(i.period_end for i in touching))]
    return [_fetch(store, [item], bounds_for(lo, hi, tz, None, touching))[item.site.site_id] for lo, hi in spans if lo < hi]


def site_carbon(
    store: SeriesStore,
    site: Site,
    meters: Sequence[Meter],
    start: int,
    end: int,
    year: int | None = None,
    table: FactorTable | None = None,
    *,
    instruments: Sequence[GreenInstrument] = (),
    granularity: str | None = None,
    now: int | None = None,
) -> SiteCarbon:
    """The ledger of ``site`` over ``[start, end)`` (see ``build_ledger`` for the rules)."""
    item = SiteInputs(site, meters, instruments)
    bounds = bounds_for(start, end, site_zone(site), granularity, instruments)
    main = _fetch(store, [item], bounds)[site.site_id]
    return build_ledger(
        site,
        meters,
        main,
        extra=_extra(store, item, start, end),
        instruments=instruments,
        granularity=granularity,
        now=now,
        year=year,
        table=table,
    )


def portfolio_carbon(
    store: SeriesStore,
    inputs: Sequence[SiteInputs],
    start: int,
    end: int,
    *,
    granularity: str | None = None,
    now: int | None = None,
    table: FactorTable | None = None,
) -> PortfolioCarbon:
    """Every site's ledger and their sums; periods of sites in one zone share labels and add up."""
    # One set of bounds for every site, so the store answers for all of them at once; sites
    # outside Asia/Shanghai get their own periods when the ledger is built.
    zone = site_zone(inputs[0].site) if inputs else ZoneInfo(HOME_TIMEZONE)
    bounds = bounds_for(start, end, zone, granularity, [i for item in inputs for i in item.instruments])
    fetched = _fetch(store, inputs, bounds)
    ledgers = tuple(
        build_ledger(
            item.site,
            item.meters,
            fetched[item.site.site_id],
            extra=_extra(store, item, start, end),
            instruments=item.instruments,
            granularity=granularity,
            now=now,
            table=table,
        )
        for item in inputs
    )
    totals = CarbonTotals()
    merged: dict[str, tuple[Period, CarbonTotals, list[FactorUse]]] = {}
    for ledger in ledgers:
        totals.add(ledger.totals)
        for pc in ledger.periods:
            if pc.period.label not in merged:
                merged[pc.period.label] = (pc.period, CarbonTotals(), [])
            period, t, uses = merged[pc.period.label]
            merged[pc.period.label] = (
                Period(period.label, min(period.start, pc.period.start), max(period.end, pc.period.end)),
                t,
                uses,
            )
            t.add(pc.totals)
            uses.extend(pc.factors)
    periods = tuple(PeriodCarbon(p, t, merge_uses(u)) for p, t, u in sorted(merged.values(), key=lambda v: v[0].start))
    return PortfolioCarbon(start, end, ledgers, totals, periods, merge_uses([u for ledger in ledgers for u in ledger.factors]))


def merge_uses(uses: Sequence[FactorUse]) -> tuple[FactorUse, ...]:
    """One entry per (role, factor): reading years joined, quantities added."""
    joined: dict[tuple, tuple[set[int], float]] = {}
    for use in uses:
        years, quantity = joined.get((use.role, use.factor), (set(), 0.0))
        joined[(use.role, use.factor)] = (years | set(use.reading_years), quantity + use.quantity)
    order = {"scope2_location": 0, "scope2_market_residual": 1, "scope1_gas": 2}
    return tuple(
        FactorUse(role, factor, tuple(sorted(years)), quantity)
        for (role, factor), (years, quantity) in sorted(
            joined.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1].year or 0, kv[0][1].region)
        )
    )
