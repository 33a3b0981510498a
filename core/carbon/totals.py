"""Carbon totals of a site or portfolio over a period, and the factors behind them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from core.carbon.completeness import ratio
from core.carbon.factors import EmissionFactor

#: Roles a factor plays in a ledger.
LOCATION = "scope2_location"
RESIDUAL = "scope2_market_residual"
GAS = "scope1_gas"


class FactorUse(NamedTuple):
    """A factor a ledger applied: to ``quantity`` (kWh or m3) of readings from ``reading_years``.

    A named tuple, like ``EmissionFactor``: a month-by-day portfolio of 5,000 sites builds
    150,000 of them, and a frozen dataclass costs twice as much to build."""

    role: str
    factor: EmissionFactor
    reading_years: tuple[int, ...]
    quantity: float


@dataclass(slots=True)
class CarbonTotals:
    """Energy and emissions (kg CO2) over one period; sums add up across periods and sites.

    ``kwh`` is metered electricity consumption; ``grid_kwh`` what the grid supplied
    after on-site PV consumed behind the meter (``pv_self_consumed_kwh``);
    ``certified_kwh`` the part of ``grid_kwh`` covered by certificates or contracts.
    """

    kwh: float = 0.0
    grid_kwh: float = 0.0
    pv_kwh: float = 0.0
    pv_self_consumed_kwh: float = 0.0
    certified_kwh: float = 0.0
    gas_m3: float = 0.0
    scope1_kg: float = 0.0
    scope2_location_kg: float = 0.0
    scope2_market_kg: float = 0.0
    readings: int = 0
    expected_readings: float = 0.0
    kwh_by_category: dict[str, float] = field(default_factory=dict)
    #: [covered_start, covered_end): the part of the period completeness counts, from the start
    #: of the first segment with readings (a site that began this month is not "missing" the
    #: months before) up to now; None when nothing was expected.
    covered_start: int | None = None
    covered_end: int | None = None

    @property
    def total_kg(self) -> float:
        """Scope 1 plus location-based Scope 2."""
        return self.scope1_kg + self.scope2_location_kg

    @property
    def total_market_kg(self) -> float:
        """Scope 1 plus market-based Scope 2."""
        return self.scope1_kg + self.scope2_market_kg

    @property
    def completeness(self) -> float | None:
        return ratio(self.readings, self.expected_readings)

    def add(self, other: CarbonTotals) -> None:
        # Spelled out rather than a loop over fields: a portfolio adds thousands of these.
        self.kwh += other.kwh
        self.grid_kwh += other.grid_kwh
        self.pv_kwh += other.pv_kwh
        self.pv_self_consumed_kwh += other.pv_self_consumed_kwh
        self.certified_kwh += other.certified_kwh
        self.gas_m3 += other.gas_m3
        self.scope1_kg += other.scope1_kg
        self.scope2_location_kg += other.scope2_location_kg
        self.scope2_market_kg += other.scope2_market_kg
        self.readings += other.readings
        self.expected_readings += other.expected_readings
        if other.covered_start is not None:
            self.covered_start = min(self.covered_start or other.covered_start, other.covered_start)
            self.covered_end = max(self.covered_end or 0, other.covered_end or 0)
        mine = self.kwh_by_category
        for category, kwh in other.kwh_by_category.items():
            mine[category] = mine.get(category, 0.0) + kwh


#: Every summed field; ``add`` must name each (a test checks).
_SUMMED = tuple(
    name for name in CarbonTotals.__dataclass_fields__ if name not in ("kwh_by_category", "covered_start", "covered_end")
)


class FactorLog:
    """Collects which factor was applied to how much, for which reading years."""

    def __init__(self) -> None:
        self._uses: dict[tuple[str, EmissionFactor], list] = {}

    def record(self, role: str, factor: EmissionFactor, year: int, quantity: float) -> None:
        entry = self._uses.get((role, factor))
        if entry is None:
            self._uses[(role, factor)] = [{year}, quantity]
            return
        entry[0].add(year)
        entry[1] += quantity

    def merge(self, other: FactorLog) -> None:
        for key, (years, quantity) in other._uses.items():
            entry = self._uses.setdefault(key, [set(), 0.0])
            entry[0] |= years
            entry[1] += quantity

    def uses(self) -> tuple[FactorUse, ...]:
        items = sorted(self._uses.items(), key=_use_order)
        return tuple(FactorUse(role, factor, tuple(sorted(years)), quantity) for (role, factor), (years, quantity) in items)


_ROLE_ORDER = {LOCATION: 0, RESIDUAL: 1, GAS: 2}


def _use_order(item: tuple) -> tuple:
    (role, factor), _entry = item
    return (_ROLE_ORDER.get(role, 9), factor.year or 0, factor.region)
