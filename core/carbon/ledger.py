"""A site's carbon ledger over a period: Scope 2 electricity, Scope 1 gas, PV reported apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from core.carbon.factors import ELECTRICITY_UNIT, EmissionFactor, FactorTable, electricity_factor, gas_factor
from core.domain import GAS_CATEGORIES, GENERATION_CATEGORIES, Meter, Site
from core.store.base import SeriesStore

#: Calendar of the factor year rule: the MEE factors are Chinese calendar-year figures.
FACTOR_TIMEZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class SiteCarbon:
    """Energy and emissions of one site over ``[start, end)``, with the factors used.

    ``kwh`` is grid electricity consumed (every kWh meter except PV); ``pv_kwh`` is
    on-site generation, reported apart and never subtracted as negative emissions.
    """

    site_id: str
    start: int
    end: int
    #: The year the factor rule was applied to (not necessarily the factors' data year).
    year: int
    kwh: float
    gas_m3: float
    pv_kwh: float
    scope1_kg: float
    scope2_location_kg: float
    total_kg: float
    electricity_factor: EmissionFactor
    gas_factor: EmissionFactor
    kwh_by_category: dict[str, float] = field(default_factory=dict)
    #: Meters with energy in the store but absent from ``meters``: not counted anywhere.
    unclassified_meters: tuple[str, ...] = ()


def factor_year(ts: int) -> int:
    """The calendar year (Asia/Shanghai) of an epoch-seconds timestamp."""
    return datetime.fromtimestamp(ts, FACTOR_TIMEZONE).year


def site_carbon(
    store: SeriesStore,
    site: Site,
    meters: list[Meter],
    start: int,
    end: int,
    year: int | None = None,
    table: FactorTable | None = None,
) -> SiteCarbon:
    """Location-based Scope 2 and Scope 1 emissions of ``site`` over ``[start, end)``.

    The electricity factor follows ``electricity_factor``'s year rule for ``year``,
    which defaults to the Asia/Shanghai year of ``start``.
    """
    rule_year = factor_year(start) if year is None else year
    elec = electricity_factor(site.province, rule_year, table)
    if elec.unit != ELECTRICITY_UNIT:
        raise ValueError(f"electricity factor in {elec.unit!r}, expected {ELECTRICITY_UNIT!r}")
    gas = gas_factor(table)

    energy = store.energy_by_meter(site_id=site.site_id, start=start, end=end)
    by_id = {m.meter_id: m for m in meters}
    kwh = gas_m3 = pv_kwh = 0.0
    by_category: dict[str, float] = {}
    for meter_id, amount in sorted(energy.items()):
        meter = by_id.get(meter_id)
        if meter is None:
            continue
        if meter.category in GAS_CATEGORIES:
            gas_m3 += amount
        elif meter.category in GENERATION_CATEGORIES:
            pv_kwh += amount
        else:
            kwh += amount
            by_category[meter.category.value] = by_category.get(meter.category.value, 0.0) + amount

    scope1 = gas_m3 * gas.value
    scope2 = kwh * elec.value
    return SiteCarbon(
        site_id=site.site_id,
        start=start,
        end=end,
        year=rule_year,
        kwh=kwh,
        gas_m3=gas_m3,
        pv_kwh=pv_kwh,
        scope1_kg=scope1,
        scope2_location_kg=scope2,
        total_kg=scope1 + scope2,
        electricity_factor=elec,
        gas_factor=gas,
        kwh_by_category=by_category,
        unclassified_meters=tuple(sorted(m for m in energy if m not in by_id)),
    )
