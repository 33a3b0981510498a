"""Shared constants and helpers for the simulator tests."""

from __future__ import annotations

from datetime import UTC, datetime

from core.solar import is_daylight
from simulators import Portfolio

#: Local midnight starting Monday 1 June 2026 in Shanghai (a plain working week).
JUNE_1 = int(datetime(2026, 5, 31, 16, 0, tzinfo=UTC).timestamp())
DAY = 86400
STEP = 900


def local_ts(day_start: int, hour: float) -> int:
    return day_start + int(hour * 3600)


def first_meter(portfolio: Portfolio, category: str):
    return next(m for m in portfolio.all_meters() if m.category.value == category)


def interval_in_daylight(portfolio: Portfolio, site_id: str, ts: int, step: int = STEP) -> bool | None:
    """True if ``[ts - step, ts)`` is all daylight, False if all night, None if it spans a sunrise/sunset."""
    site = portfolio.site(site_id)
    start = is_daylight(site.latitude, site.longitude, ts - step)
    end = is_daylight(site.latitude, site.longitude, ts - 1)
    return start if start == end else None
