"""Reporting periods (day, month, year) in a site's local time, clipped to the requested range."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

GRANULARITIES = ("day", "month", "year")


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)`` in epoch seconds; ``label`` is the local date, "YYYY-MM" or "YYYY" (or "total")."""

    label: str
    start: int
    end: int


def _midnight(day: date, tz: ZoneInfo) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())


def _following(day: date, granularity: str) -> date:
    if granularity == "day":
        return date.fromordinal(day.toordinal() + 1)
    if granularity == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return date(day.year + 1, 1, 1)


def _first(day: date, granularity: str) -> date:
    if granularity == "day":
        return day
    if granularity == "month":
        return day.replace(day=1)
    return date(day.year, 1, 1)


def _label(day: date, granularity: str) -> str:
    return day.isoformat() if granularity == "day" else day.isoformat()[:7] if granularity == "month" else str(day.year)


def split(start: int, end: int, tz: ZoneInfo, granularity: str | None) -> list[Period]:
    """The periods covering ``[start, end)``; one "total" period when ``granularity`` is None."""
    if granularity is None:
        return [Period("total", start, end)]
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, not {granularity!r}")
    periods: list[Period] = []
    day = _first(datetime.fromtimestamp(start, tz).date(), granularity)
    while (lo := _midnight(day, tz)) < end:
        following = _following(day, granularity)
        hi = _midnight(following, tz)
        periods.append(Period(_label(day, granularity), max(lo, start), min(hi, end)))
        day = following
    return periods


def index_of(periods: Sequence[Period], starts: list[int], ts: int) -> int:
    """Index of the period holding ``ts`` (``starts`` are the periods' starts)."""
    return max(0, bisect_right(starts, ts) - 1)
