"""Carbon ledgers read from the store: one site, or a portfolio in a few round trips."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from core.carbon.factors import FactorTable
from core.carbon.instruments import GreenInstrument
from core.carbon.ledger import DayData, PeriodCarbon, SiteCarbon, build_ledger, site_zone
from core.carbon.periods import Period
from core.carbon.totals import CarbonTotals, FactorUse
from core.domain import GENERATION_CATEGORIES, Meter, Site
from core.store.base import SeriesStore
from core.store.daily import DayEnergy

#: Up to this many sites a portfolio asks the store site by site; beyond it, one query
#: for every site is cheaper than many round trips even though it reads sites the key
#: may not see (they are dropped before anything is computed).
PER_SITE_QUERY_LIMIT = 16


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


def _fetch(store: SeriesStore, inputs: Sequence[SiteInputs], start: int, end: int) -> dict[str, DayData]:
    """Daily energy and PV-netted grid import of each site over ``[start, end)``."""
    by_zone: dict[str, list[SiteInputs]] = defaultdict(list)
    for item in inputs:
        by_zone[site_zone(item.site).key].append(item)
    rows: dict[str, list[DayEnergy]] = {item.site.site_id: [] for item in inputs}
    imports: dict[str, dict[int, float]] = {}
    for tz, group in by_zone.items():
        if len(group) > PER_SITE_QUERY_LIMIT:
            for row in store.energy_by_day(start=start, end=end, tz=tz):
                if row.site_id in rows:
                    rows[row.site_id].append(row)
        else:
            for item in group:
                rows[item.site.site_id] = store.energy_by_day(start=start, end=end, site_id=item.site.site_id, tz=tz)
        pv_sites = [item.site.site_id for item in group if item.has_pv]
        if pv_sites:
            for (site_id, day), kwh in store.grid_import_by_day(start=start, end=end, site_ids=pv_sites, tz=tz).items():
                imports.setdefault(site_id, {})[day] = kwh
    return {
        item.site.site_id: DayData(start, end, rows[item.site.site_id], imports.get(item.site.site_id, {}) if item.has_pv else None)
        for item in inputs
    }


def _extra(store: SeriesStore, item: SiteInputs, start: int, end: int) -> list[DayData]:
    """The days of the site's instrument periods that lie outside ``[start, end)``."""
    touching = [i for i in item.instruments if i.period_start < end and i.period_end > start]
    if not touching:
        return []
    spans = [(min(i.period_start for i in touching), start), (end, max(i.period_end for i in touching))]
    return [_fetch(store, [item], lo, hi)[item.site.site_id] for lo, hi in spans if lo < hi]


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
    main = _fetch(store, [item], start, end)[site.site_id]
    return build_ledger(
        site, meters, main, extra=_extra(store, item, start, end), instruments=instruments,
        granularity=granularity, now=now, year=year, table=table,
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
    fetched = _fetch(store, inputs, start, end)
    ledgers = tuple(
        build_ledger(
            item.site, item.meters, fetched[item.site.site_id], extra=_extra(store, item, start, end),
            instruments=item.instruments, granularity=granularity, now=now, table=table,
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
                Period(period.label, min(period.start, pc.period.start), max(period.end, pc.period.end)), t, uses
            )
            t.add(pc.totals)
            uses.extend(pc.factors)
    periods = tuple(PeriodCarbon(p, t, merge_uses(u)) for p, t, u in sorted(merged.values(), key=lambda v: v[0].start))
    return PortfolioCarbon(start, end, ledgers, totals, periods, merge_uses([u for l in ledgers for u in l.factors]))


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
