"""Daily aggregates of energy points: the rows the fast carbon queries return, the sums stores fold them in, and a reference implementation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from core.calendar import HOME_TIMEZONE
from core.domain import GAS_CATEGORIES, GENERATION_CATEGORIES, EnergyPoint

#: Zone of the day boundaries the aggregate queries use unless told otherwise.
DEFAULT_TIMEZONE = HOME_TIMEZONE
#: Width of the interval over which behind-the-meter generation nets against consumption.
NETTING_INTERVAL_S = 900
#: Category values of meters measured in m3 of gas (never netted against electricity).
GAS_CATEGORY_VALUES = frozenset(c.value for c in GAS_CATEGORIES)
#: Category values of meters that generate electricity (on-site PV).
GENERATION_CATEGORY_VALUES = frozenset(c.value for c in GENERATION_CATEGORIES)


class DayEnergy(NamedTuple):
    """Energy of one meter on one local day: ``day`` is the day's local midnight in epoch seconds.

    ``readings`` counts the points summed, for data completeness.
    """

    site_id: str
    meter_id: str
    category: str
    day: int
    energy: float
    readings: int


class SegmentEnergy(NamedTuple):
    """Energy of one meter over segment ``segment`` (``[bounds[i], bounds[i + 1])``).

    ``busiest_day`` is the most readings the meter gave on one whole local day inside
    the segment (0 when the segment holds no whole day): it tells the reporting interval.
    """

    site_id: str
    meter_id: str
    category: str
    segment: int
    energy: float
    readings: int
    busiest_day: int


@dataclass(slots=True)
class MeterSum:
    """A meter's running sums over a day, month or segment, as the stores fold their rows.

    ``busiest_day`` is the most readings of one whole local day seen (0 when none was).
    """

    category: str
    energy: float = 0.0
    readings: int = 0
    busiest_day: int = 0

    def add(self, energy: float, readings: int, busiest_day: int = 0) -> None:
        self.energy += energy
        self.readings += readings
        if busiest_day > self.busiest_day:
            self.busiest_day = busiest_day


K = TypeVar("K")


def sum_for(sums: dict[K, MeterSum], key: K, category: str) -> MeterSum:
    """The running sum under ``key``, started with ``category`` when there is none yet."""
    entry = sums.get(key)
    if entry is None:
        entry = sums[key] = MeterSum(category)
    return entry


@dataclass(slots=True)
class QuarterSum:
    """Electricity of one site over one netting interval: kWh consumed and kWh generated."""

    consumed: float = 0.0
    generated: float = 0.0

    def add(self, category: str, energy: float) -> None:
        if category in GENERATION_CATEGORY_VALUES:
            self.generated += energy
        else:
            self.consumed += energy


def quarter_rows(sums: dict[tuple[str, int], QuarterSum]) -> list[tuple[str, int, float, float]]:
    """(site, interval start, consumed, generated) of sums keyed by (site, interval start)."""
    return [(s, b, q.consumed, q.generated) for (s, b), q in sums.items()]


def day_rows(sums: dict[tuple[str, str, int], MeterSum]) -> list[DayEnergy]:
    """Sorted day rows of sums keyed by (site, meter, day)."""
    return sorted(DayEnergy(s, m, e.category, d, e.energy, e.readings) for (s, m, d), e in sums.items())


def segment_rows(sums: dict[tuple[str, str, int], MeterSum]) -> list[SegmentEnergy]:
    """Sorted segment rows of sums keyed by (site, meter, segment), leaving out those without readings."""
    return sorted(
        SegmentEnergy(s, m, e.category, i, e.energy, e.readings, e.busiest_day) for (s, m, i), e in sums.items() if e.readings > 0
    )


def day_start(ts: int, tz: ZoneInfo) -> int:
    """Epoch seconds of local midnight starting the day that holds ``ts``."""
    local = datetime.fromtimestamp(ts, tz)
    return int(datetime(local.year, local.month, local.day, tzinfo=tz).timestamp())


def next_day(day: int, tz: ZoneInfo) -> int:
    """Local midnight after the day starting at ``day`` (23 or 25 hours away across DST)."""
    local = datetime.fromtimestamp(day, tz)
    following = (local.replace(tzinfo=None) + timedelta(days=1)).date()
    return int(datetime(following.year, following.month, following.day, tzinfo=tz).timestamp())


def days_from_points(points: Iterable[EnergyPoint], tz: str = DEFAULT_TIMEZONE) -> list[DayEnergy]:
    """Per meter and local day: the energy sum and reading count (reference for every backend)."""
    zone = ZoneInfo(tz)
    sums: dict[tuple[str, str, int], MeterSum] = {}
    for p in points:
        sum_for(sums, (p.site_id, p.meter_id, day_start(p.ts, zone)), p.category).add(p.energy, 1)
    return day_rows(sums)


def import_from_quarters(
    quarters: Iterable[tuple[str, int, float, float]], tz: str = DEFAULT_TIMEZONE
) -> dict[tuple[str, int], float]:
    """Grid import per (site, local day) from (site, interval start, consumed, generated) rows.

    Each interval's import is consumption minus generation, floored at zero: surplus
    generation is exported and never offsets another interval.
    """
    zone = ZoneInfo(tz)
    days: dict[tuple[str, int], float] = {}
    for site_id, bucket, consumed, generated in quarters:
        key = (site_id, day_start(bucket, zone))
        days[key] = days.get(key, 0.0) + max(0.0, consumed - generated)
    return days


def quarters_from_points(points: Iterable[EnergyPoint]) -> list[tuple[str, int, float, float]]:
    """(site, interval start, consumed kWh, generated kWh) per netting interval holding electricity points."""
    buckets: dict[tuple[str, int], QuarterSum] = {}
    for p in points:
        if p.category in GAS_CATEGORY_VALUES:
            continue
        key = (p.site_id, p.ts - p.ts % NETTING_INTERVAL_S)
        buckets.setdefault(key, QuarterSum()).add(p.category, p.energy)
    return quarter_rows(dict(sorted(buckets.items())))


def import_from_points(
    points: Iterable[EnergyPoint], site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
) -> dict[tuple[str, int], float]:
    """Grid import per (site, local day) of ``site_ids`` computed from raw points (reference)."""
    wanted = set(site_ids)
    return import_from_quarters(quarters_from_points(p for p in points if p.site_id in wanted), tz)
