"""A meter's points over a span together with its stored neighbours on either side, on any backend."""

from __future__ import annotations

from core.domain import EnergyPoint
from core.store.base import SeriesStore

#: First reach on each side of the span. Most neighbours are one reporting interval away
#: (minutes to an hour), so one small query usually finds them; a meter silent for longer
#: costs a few more, each ``WIDEN`` times as far.
FIRST_REACH_S = 6 * 3600
WIDEN = 16
#: Farthest a neighbour is looked for (about two years): beyond it the meter has none.
MAX_REACH_S = 800 * 86_400


def around(store: SeriesStore, *, meter_id: str, start: int, end: int, until: int | None = None) -> list[EnergyPoint]:
    """The meter's points in ``[start, end)``, its newest before ``start`` and its oldest from
    ``end`` on (before ``until`` when given), ordered by ts.

    Built on ``points`` alone, so every backend answers it the same way; the contract suite
    runs it on each.
    """
    inside = store.points(start=start, end=end, meter_id=meter_id)
    before = _nearest_before(store, meter_id, start)
    after = _nearest_from(store, meter_id, end, end + MAX_REACH_S if until is None else until)
    return before + inside + after


def _nearest_before(store: SeriesStore, meter_id: str, start: int) -> list[EnergyPoint]:
    reach, hi = FIRST_REACH_S, start
    while hi > start - MAX_REACH_S:
        lo = max(start - reach, start - MAX_REACH_S)
        found = store.points(start=lo, end=hi, meter_id=meter_id)
        if found:
            return found[-1:]
        reach, hi = reach * WIDEN, lo
    return []


def _nearest_from(store: SeriesStore, meter_id: str, end: int, until: int) -> list[EnergyPoint]:
    reach, lo = FIRST_REACH_S, end
    while lo < until:
        hi = min(end + reach, until)
        found = store.points(start=lo, end=hi, meter_id=meter_id)
        if found:
            return found[:1]
        reach, lo = reach * WIDEN, hi
    return []
