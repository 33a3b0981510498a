"""``BaseLoadCreep``: a meter's base load rising day after day (fouled filters, drifting set points).

A daily retrained baseline follows a slow ramp, so residuals cannot see it. This check
compares the meter's base load (median draw in the hours the space is closed) in the
last days with the oldest week of the window, and wants the rise to be steady.
"""

from __future__ import annotations

import warnings
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

    def daily_base(self, kwh: np.ndarray, closed: np.ndarray) -> tuple[int, np.ndarray]:
        """(offset, base): each whole day's median closed-hours draw, shape (days, meters), NaN if unknown.

        ``kwh`` is hours x meters ending on a day boundary modulo ``offset`` leading hours.
        Always-open spaces (fewer than 3 closed hours a day) use the quietest six hours.
        """
        days = kwh.shape[0] // DAY_HOURS
        offset = kwh.shape[0] - days * DAY_HOURS
        a = kwh[offset:].reshape(days, DAY_HOURS, -1)
        c = closed[offset:].reshape(days, DAY_HOURS)
        if c.sum(axis=1).min(initial=DAY_HOURS) < 3:
            with np.errstate(all="ignore"):
                profile = np.nanmean(a, axis=0)
            quiet = np.argsort(np.nan_to_num(profile, nan=np.inf), axis=0)[:6]
            mask = np.zeros((DAY_HOURS, a.shape[2]), dtype=bool)
            np.put_along_axis(mask, quiet, True, axis=0)
            chosen = np.where(mask[None, :, :], a, np.nan)
        else:
            chosen = np.where(c[:, :, None], a, np.nan)
        enough = (~np.isnan(chosen)).sum(axis=1) >= 3
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            base = np.nanmedian(chosen, axis=1)
        return offset, np.where(enough, base, np.nan)

    def candidates(self, base: np.ndarray, rated_kw: np.ndarray) -> np.ndarray:
        """Columns of ``base`` (days x meters) whose recent base is clearly above the reference week."""
        if base.shape[0] < REFERENCE_DAYS + TREND_DAYS // 2:
            return np.zeros(base.shape[1], dtype=bool)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            reference = np.nanmedian(base[:REFERENCE_DAYS], axis=0)
            recent = np.nanmedian(base[-RECENT_DAYS:], axis=0)
        rise = np.nan_to_num(recent - reference, nan=0.0)
        return rise >= self.min_rated_share * np.where(rated_kw > 0, rated_kw, 0.0)

    def find(self, base: np.ndarray, offset: int, rated_kw: float) -> Creep | None:
        """A creep in one meter's daily ``base`` (from :meth:`daily_base`), or None."""
        days = base.size
        if days < REFERENCE_DAYS + TREND_DAYS // 2:
            return None
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
