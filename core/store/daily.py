"""Daily aggregates of energy points: the types the fast carbon queries return, and a reference implementation."""

from __future__ import annotations

from bisect import bisect_right
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
        SegmentEnergy(s, m, e.category, i, e.energy, e.readings, e.busiest_day)
        for (s, m, i), e in sums.items()
        if e.readings > 0
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


def fold_days(
    folded: dict[tuple[str, str, int], MeterSum], rows: Iterable[DayEnergy], segment_of, *, whole: bool = False
) -> None:
    """Add day rows into (site, meter, segment) sums.

    ``segment_of(day)`` gives the segment, or None to skip the row; rows of ``whole``
    local days also count towards the busiest day.
    """
    for row in rows:
        i = segment_of(row.day)
        if i is None:
            continue
        sum_for(folded, (row.site_id, row.meter_id, i), row.category).add(
            row.energy, row.readings, row.readings if whole else 0
        )


def segments_via_days(days_of, bounds: Sequence[int], tz: str) -> list[SegmentEnergy]:
    """``energy_by_segment`` for a backend with only ``energy_by_day``: ``days_of(lo, hi)`` returns day rows."""
    zone = ZoneInfo(tz)
    plan = plan_segments(bounds, zone)
    folded: dict[tuple[str, str, int], MeterSum] = {}
    if plan.span is not None:
        fold_days(folded, days_of(*plan.span), plan.segment_of_day, whole=True)
    for i, lo, hi in plan.partial:
        fold_days(folded, days_of(lo, hi), lambda _day, i=i: i)
    return segment_rows(folded)


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

    For a backend whose natural aggregate is the local day (the InfluxDB 2.x one); the
    embedded and the InfluxDB 1.x stores keep their own month rollups instead.
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
