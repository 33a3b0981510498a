"""Segments read through local days: whole days from daily aggregates, partial pieces from raw points."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core.store.daily import (
    DEFAULT_TIMEZONE,
    DayEnergy,
    MeterSum,
    SegmentEnergy,
    day_start,
    next_day,
    segment_rows,
    sum_for,
)


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
        sum_for(folded, (row.site_id, row.meter_id, i), row.category).add(row.energy, row.readings, row.readings if whole else 0)


def segments_via_days(days_of, bounds: Sequence[int], tz: str) -> list[SegmentEnergy]:
    """``energy_by_segment`` for a backend with only ``energy_by_day``: ``days_of(lo, hi)`` returns day rows."""
    zone = ZoneInfo(tz)
    plan = plan_segments(bounds, zone)
    folded: dict[tuple[str, str, int], MeterSum] = {}
    if plan.span is not None:
        fold_days(folded, days_of(*plan.span), plan.segment_of_day, whole=True)
    for i, lo, hi in plan.partial:
        fold_days(folded, days_of(lo, hi), _always(i))
    return segment_rows(folded)


def _always(segment: int) -> Callable[[int], int | None]:
    """``segment_of_day`` for a partial day: its days all fall in ``segment``."""
    return lambda _day: segment


def imports_via_days(imports_of, bounds: Sequence[int], tz: str) -> dict[tuple[str, int], float]:
    """``grid_import_by_segment`` for a backend with only ``grid_import_by_day``."""
    zone = ZoneInfo(tz)
    plan = plan_segments(bounds, zone)
    result: dict[tuple[str, int], float] = {}
    parts: list[tuple[Callable[[int], int | None], dict[tuple[str, int], float]]] = []
    if plan.span is not None:
        parts.append((plan.segment_of_day, imports_of(*plan.span)))
    for i, lo, hi in plan.partial:
        parts.append((_always(i), imports_of(lo, hi)))
    for segment_of, days in parts:
        for (site_id, day), kwh in days.items():
            segment = segment_of(day)
            if segment is not None:
                result[(site_id, segment)] = result.get((site_id, segment), 0.0) + kwh
    return result


class SegmentsFromDays:
    """Segment queries built from a backend's ``energy_by_day`` and ``grid_import_by_day``.

    For a backend whose natural aggregate is the local day (the InfluxDB 2.x one); the
    embedded and the InfluxDB 1.x stores keep their own month rollups instead.
    """

    # The backend's own, which the segments are built from.
    def energy_by_day(self, *, start: int, end: int, site_id: str | None = None, tz: str = DEFAULT_TIMEZONE) -> list[DayEnergy]:
        raise NotImplementedError

    def grid_import_by_day(
        self, *, start: int, end: int, site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
    ) -> dict[tuple[str, int], float]:
        raise NotImplementedError

    def energy_by_segment(
        self, *, bounds: Sequence[int], site_ids: Sequence[str] | None = None, tz: str = DEFAULT_TIMEZONE
    ) -> list[SegmentEnergy]:
        one = site_ids[0] if site_ids is not None and len(site_ids) == 1 else None
        wanted = set(site_ids) if site_ids is not None else None

        def days_of(lo: int, hi: int) -> list[DayEnergy]:
            rows = self.energy_by_day(start=lo, end=hi, site_id=one, tz=tz)
            return rows if wanted is None else [r for r in rows if r.site_id in wanted]

        return segments_via_days(days_of, bounds, tz)

    def grid_import_by_segment(
        self, *, bounds: Sequence[int], site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
    ) -> dict[tuple[str, int], float]:
        def imports_of(lo: int, hi: int) -> dict[tuple[str, int], float]:
            return self.grid_import_by_day(start=lo, end=hi, site_ids=site_ids, tz=tz)

        return imports_via_days(imports_of, bounds, tz)
