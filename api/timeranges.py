"""Time ranges from query strings: ISO dates or datetimes to half-open epoch-second ranges."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.problems import Problem
from core.store.base import SeriesStore
from core.timebase import HOME_ZONE, HOUR

#: Width at which the search for a site's first point stops bisecting and reads points.
_FIRST_POINT_WINDOW_S = HOUR
#: Instants accepted in queries: [1970-01-01, 2100-01-01) UTC. Beyond them there are no
#: readings, and far dates overflow the calendar arithmetic (a 500 before this check).
MIN_INSTANT_S, MAX_INSTANT_S = 0, 4_102_444_800


@dataclass(frozen=True, slots=True)
class TimeRange:
    """``[start, end)`` in epoch seconds."""

    start: int
    end: int


def _invalid(field: str, text: str, why: str) -> Problem:
    return Problem(
        422,
        f"Query parameter {field!r} {why}.",
        kind="validation",
        errors=[{"loc": ["query", field], "msg": why, "type": "value_error"}],
    )


def parse_instant(text: str, field: str, tz: ZoneInfo, *, is_end: bool = False) -> int:
    """Epoch seconds of an ISO date or datetime; naive values are local time of ``tz``.

    A date alone as an ``end`` means the end of that day, so ``end=2024-01-31``
    includes the 31st.
    """
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=tz)
            if is_end:
                moment += timedelta(days=1)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=tz)
        ts = int(moment.timestamp())
    except (ValueError, OverflowError):
        raise _invalid(field, text, "is not an ISO 8601 date or datetime (e.g. 2024-05-01 or 2024-05-01T08:00+08:00)") from None
    if not MIN_INSTANT_S <= ts <= MAX_INSTANT_S:
        raise _invalid(field, text, "must lie between 1970-01-01 and 2100-01-01")
    return ts


def first_point_ts(store: SeriesStore, site_id: str, before: int) -> int | None:
    """Timestamp of the site's first stored point before ``before``, or None.

    ``SeriesStore`` has no "first point" query, so this bisects on whether any
    meter has points in ``[0, t)`` (about 20 cheap aggregates), then reads one hour.
    """
    if not store.energy_by_meter(site_id=site_id, start=0, end=before):
        return None
    # Invariant: no point lies before ``low``; some point lies before ``high``.
    low, high = 0, before
    while high - low > _FIRST_POINT_WINDOW_S:
        middle = (low + high) // 2
        if store.energy_by_meter(site_id=site_id, start=0, end=middle):
            high = middle
        else:
            low = middle
    return min(point.ts for point in store.points(start=low, end=high, site_id=site_id))


def resolve_range(
    start: str | None,
    end: str | None,
    tz: ZoneInfo,
    *,
    default_start: Callable[[int], int] = lambda _end: 0,
    now: int | None = None,
) -> TimeRange:
    """Parse ``start``/``end``; ``end`` defaults to now and ``start`` to ``default_start(end)``."""
    end_ts = parse_instant(end, "end", tz, is_end=True) if end else (now or int(time.time()))
    start_ts = parse_instant(start, "start", tz) if start else default_start(end_ts)
    if start_ts >= end_ts:
        raise _invalid("start", start or "", "must be before 'end'")
    return TimeRange(start_ts, end_ts)


def zone_of(name: str) -> ZoneInfo:
    """The site's time zone; China's when the stored name is unknown."""
    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return HOME_ZONE
