"""``BaseLoadCreep``: a meter's base load rising day after day (fouled filters, drifting set points).

A daily retrained baseline follows a slow ramp, so residuals cannot see it. This check
compares the meter's base load (median draw in the hours the space is closed) in the
last days with the oldest week of the window, and wants the rise to be steady.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import kendalltau

DAY_HOURS = 24
#: Rise of the base load, as a share of the meter's rating, worth an alert. Weather moves
#: a chiller's night load by a few percent over a month; 6% is a second pump left on.
MIN_RATED_SHARE = 0.06
#: ... and in units of the day-to-day noise of the base load in the reference week.
MIN_NOISE_UNITS = 6.0
#: Kendall's tau of the daily base over the last week: a creep rises day after day, a
#: hot spell comes and goes.
MIN_TAU = 0.5
#: Days of the reference (oldest) and of the recent base-load medians.
REFERENCE_DAYS, RECENT_DAYS, TREND_DAYS = 7, 2, 7


@dataclass(frozen=True, slots=True)
class Creep:
    """A creep found: from hour index ``start`` to the end of the data, with its size."""

    start: int
    #: Estimated extra kWh of each hour from ``start`` to the end (the day's base-load rise).
    excess: np.ndarray
    rise_kwh_per_hour: float
    reference_kwh_per_hour: float
    tau: float


class BaseLoadCreep:
    """Finds a steady rise of the closed-hours base load of one meter over the window."""

    def __init__(self, min_rated_share: float = MIN_RATED_SHARE, min_noise_units: float = MIN_NOISE_UNITS,
                 min_tau: float = MIN_TAU) -> None:
        self.min_rated_share = min_rated_share
        self.min_noise_units = min_noise_units
        self.min_tau = min_tau

    def find(self, actual: np.ndarray, closed: np.ndarray, rated_kw: float) -> Creep | None:
        """``actual``: hourly kWh over whole days (NaN unknown); ``closed``: hours the space is closed."""
        days = actual.size // DAY_HOURS
        if days < REFERENCE_DAYS + TREND_DAYS // 2:
            return None
        offset = actual.size - days * DAY_HOURS
        a = actual[offset:].reshape(days, DAY_HOURS)
        c = closed[offset:].reshape(days, DAY_HOURS) & ~np.isnan(a)
        if c.sum(axis=1).min(initial=DAY_HOURS) < 3:
            # Always-open spaces: the quietest six hours of each day stand for the base.
            quiet = np.argsort(np.nanmean(a, axis=0))[:6]
            c = np.zeros_like(c)
            c[:, quiet] = ~np.isnan(a[:, quiet])
        with np.errstate(all="ignore"):
            base = np.array([np.median(a[d][c[d]]) if c[d].sum() >= 3 else np.nan for d in range(days)])
        ref = base[:REFERENCE_DAYS]
        ref = ref[~np.isnan(ref)]
        recent = base[-RECENT_DAYS:]
        recent = recent[~np.isnan(recent)]
        if ref.size < 4 or recent.size == 0:
            return None
        reference = float(np.median(ref))
        noise = 1.4826 * float(np.median(np.abs(ref - reference)))
        rise = float(np.median(recent)) - reference
        if rise < max(self.min_noise_units * noise, self.min_rated_share * rated_kw if rated_kw > 0 else 0.0):
            return None
        trend = base[-TREND_DAYS:]
        known = ~np.isnan(trend)
        tau = float(kendalltau(np.arange(trend.size)[known], trend[known]).statistic) if known.sum() >= 5 else 0.0
        if not tau >= self.min_tau:
            return None
        # The creep starts after the last day still at the reference level.
        above = base > reference + max(3.0 * noise, 0.25 * rise)
        settled = np.flatnonzero(~above[:-1] & ~np.isnan(base[:-1]))
        first_day = int(settled[-1]) + 1 if settled.size else 0
        daily = np.clip(np.nan_to_num(base[first_day:] - reference, nan=0.0), 0.0, None)
        return Creep(start=offset + first_day * DAY_HOURS, excess=np.repeat(daily, DAY_HOURS),
                     rise_kwh_per_hour=rise, reference_kwh_per_hour=reference, tau=tau)
