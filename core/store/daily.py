"""Daily aggregates of energy points: the types the fast carbon queries return, and a reference implementation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from core.domain import GAS_CATEGORIES, GENERATION_CATEGORIES, EnergyPoint

#: Zone of the day boundaries the aggregate queries use unless told otherwise.
DEFAULT_TIMEZONE = "Asia/Shanghai"
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
    sums: dict[tuple[str, str, int], list] = {}
    for p in points:
        key = (p.site_id, p.meter_id, day_start(p.ts, zone))
        entry = sums.setdefault(key, [p.category, 0.0, 0])
        entry[1] += p.energy
        entry[2] += 1
    return sorted(DayEnergy(s, m, c, d, e, n) for (s, m, d), (c, e, n) in sums.items())


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
    buckets: dict[tuple[str, int], list[float]] = {}
    for p in points:
        if p.category in GAS_CATEGORY_VALUES:
            continue
        entry = buckets.setdefault((p.site_id, p.ts - p.ts % NETTING_INTERVAL_S), [0.0, 0.0])
        entry[1 if p.category in GENERATION_CATEGORY_VALUES else 0] += p.energy
    return [(s, b, c, g) for (s, b), (c, g) in sorted(buckets.items())]


def import_from_points(
    points: Iterable[EnergyPoint], site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
) -> dict[tuple[str, int], float]:
    """Grid import per (site, local day) of ``site_ids`` computed from raw points (reference)."""
    wanted = set(site_ids)
    return import_from_quarters(quarters_from_points(p for p in points if p.site_id in wanted), tz)
