"""Daily aggregates of energy points: the types the fast carbon queries return, and a reference implementation."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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


def whole_days(lo: int, hi: int, tz: ZoneInfo) -> tuple[int, int]:
    """[first, last) local midnights of the whole days inside [lo, hi); first >= last when there are none."""
    first = day_start(lo, tz)
    if first < lo:
        first = next_day(first, tz)
    return first, day_start(hi, tz)


@dataclass(frozen=True, slots=True)
class SegmentPlan:
    """How to read segments: whole local days from daily aggregates, the rest as partial pieces."""

    #: (segment, first midnight, last midnight): whole days of each segment.
    whole: list[tuple[int, int, int]]
    #: (segment, lo, hi): parts of segments that are not whole local days.
    partial: list[tuple[int, int, int]]
    #: First midnight of each whole part, for lookups.
    starts: list[int]

    @property
    def span(self) -> tuple[int, int] | None:
        """[lo, hi) covering every whole part, or None when there is none."""
        if not self.whole:
            return None
        return self.whole[0][1], self.whole[-1][2]

    def segment_of_day(self, day: int) -> int | None:
        """The segment whose whole days include ``day``, or None (the day is read in pieces)."""
        i = bisect_right(self.starts, day) - 1
        if i >= 0 and day < self.whole[i][2]:
            return self.whole[i][0]
        return None


def plan_segments(bounds: Sequence[int], tz: ZoneInfo) -> SegmentPlan:
    """Split segments ``[bounds[i], bounds[i + 1])`` into whole local days and partial pieces."""
    whole: list[tuple[int, int, int]] = []
    partial: list[tuple[int, int, int]] = []
    for i in range(len(bounds) - 1):
        lo, hi = bounds[i], bounds[i + 1]
        w_lo, w_hi = whole_days(lo, hi, tz)
        if w_lo >= w_hi:
            partial.append((i, lo, hi))
            continue
        whole.append((i, w_lo, w_hi))
        if lo < w_lo:
            partial.append((i, lo, w_lo))
        if w_hi < hi:
            partial.append((i, w_hi, hi))
    return SegmentPlan(whole, partial, [w[1] for w in whole])


def fold_days(folded: dict[tuple[str, str, int], list], rows: Iterable[DayEnergy], segment_of) -> None:
    """Add day rows into (site, meter, segment) -> [category, energy, readings, busiest_day].

    ``segment_of(day)`` gives the segment, or None to skip the row; a non-None
    ``busiest`` flag is implied for rows folded through a plan's whole days.
    """
    for row in rows:
        i = segment_of(row.day)
        if i is None:
            continue
        entry = folded.get((row.site_id, row.meter_id, i))
        if entry is None:
            entry = folded[(row.site_id, row.meter_id, i)] = [row.category, 0.0, 0, 0]
        entry[1] += row.energy
        entry[2] += row.readings


def segments_via_days(days_of, bounds: Sequence[int], tz: str) -> list[SegmentEnergy]:
    """``energy_by_segment`` for a backend with only ``energy_by_day``: ``days_of(lo, hi)`` returns day rows."""
    zone = ZoneInfo(tz)
    plan = plan_segments(bounds, zone)
    folded: dict[tuple[str, str, int], list] = {}
    busiest: dict[tuple[str, str, int], int] = {}
    if plan.span is not None:
        rows = days_of(*plan.span)
        fold_days(folded, rows, plan.segment_of_day)
        for row in rows:
            i = plan.segment_of_day(row.day)
            if i is not None:
                key = (row.site_id, row.meter_id, i)
                busiest[key] = max(busiest.get(key, 0), row.readings)
    for i, lo, hi in plan.partial:
        fold_days(folded, days_of(lo, hi), lambda _day, i=i: i)
    return sorted(
        SegmentEnergy(s, m, c, i, e, n, busiest.get((s, m, i), 0)) for (s, m, i), (c, e, n, _b) in folded.items()
    )


def imports_via_days(imports_of, bounds: Sequence[int], tz: str) -> dict[tuple[str, int], float]:
    """``grid_import_by_segment`` for a backend with only ``grid_import_by_day``."""
    zone = ZoneInfo(tz)
    plan = plan_segments(bounds, zone)
    result: dict[tuple[str, int], float] = {}
    parts = []
    if plan.span is not None:
        parts.append((plan.segment_of_day, imports_of(*plan.span)))
    for i, lo, hi in plan.partial:
        parts.append((lambda _day, i=i: i, imports_of(lo, hi)))
    for segment_of, days in parts:
        for (site_id, day), kwh in days.items():
            i = segment_of(day)
            if i is not None:
                result[(site_id, i)] = result.get((site_id, i), 0.0) + kwh
    return result


class SegmentsFromDays:
    """Segment queries built from a backend's ``energy_by_day`` and ``grid_import_by_day``.

    For backends whose natural aggregate is the local day (the InfluxDB ones); the
    embedded store keeps its own month rollups instead.
    """

    def energy_by_segment(
        self, *, bounds: Sequence[int], site_ids: Sequence[str] | None = None, tz: str = DEFAULT_TIMEZONE
    ) -> list[SegmentEnergy]:
        one = site_ids[0] if site_ids is not None and len(site_ids) == 1 else None
        wanted = set(site_ids) if site_ids is not None else None

        def days_of(lo: int, hi: int) -> list[DayEnergy]:
            rows = self.energy_by_day(start=lo, end=hi, site_id=one, tz=tz)  # type: ignore[attr-defined]
            return rows if wanted is None else [r for r in rows if r.site_id in wanted]

        return segments_via_days(days_of, bounds, tz)

    def grid_import_by_segment(
        self, *, bounds: Sequence[int], site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
    ) -> dict[tuple[str, int], float]:
        def imports_of(lo: int, hi: int) -> dict[tuple[str, int], float]:
            return self.grid_import_by_day(start=lo, end=hi, site_ids=site_ids, tz=tz)  # type: ignore[attr-defined]

        return imports_via_days(imports_of, bounds, tz)
