"""``BaseLoadCreep``: a meter's base load rising over days, then staying (fouled filters, drifting set points).

A daily retrained baseline follows a slow ramp, so residuals cannot see it. This check
takes each day's base load (the lowest tenth of the draw in the hours the space is
closed), compares the last days with the meter's quiet level, and wants a rise that
climbed and stayed:

- the quiet level is the median of the window's seven lowest days, each day compared
  with the level of its own day kind (working day or day off), so neither an earlier
  creep in the oldest days nor a pump idling lower at weekends hides a new one;
- what the meter's baseline itself expects to change (a chiller's night load rising with
  the season's cooling need) is taken off first for HVAC (``SiteScanner`` passes the drift);
- the rise must have climbed over at least two days (a leak or a setting changed at once
  is at its level from its first whole day), risen on the way up (Kendall's tau over the
  climb), and stayed above for three days (a night or two of waste is not a creep).

A creep once found is followed (:meth:`BaseLoadCreep.follow`) against the level and from
the start it was found with (a ``models.held_creep.HeldCreep``): as the window slides, its lowest days
become the creep's own first days, and measured from there the creep would look smaller
and later every day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import kendalltau

from models.reference import nan_median

DAY_HOURS = 24
#: Rise of the base load, as a share of the meter's rating, worth an alert. Weather moves
#: a chiller's night load by a few percent over a month; 6% is a second pump left on.
MIN_RATED_SHARE = 0.06
#: ... and in units of the day-to-day noise of the base load in the reference week.
MIN_NOISE_UNITS = 6.0
#: Kendall's tau of the daily base from the last day at the reference level on: a creep
#: rises day after day, a hot spell comes and goes, a step stays flat.
MIN_TAU = 0.5
#: The first day above the reference may hold at most this share of the latest day's rise:
#: more is a step (a leak, a setting changed at once), not a ramp.
MAX_STEP_SHARE = 0.6
#: Quantile of a day's closed hours taken as its base load. A creep lifts every closed
#: hour, its quietest ones too; a few hours of pump or HVAC waste in the night lift the
#: median of a short night (or of an always-open space's six quietest hours) but not its
#: lowest hours.
BASE_QUANTILE = 0.1
#: Days of the reference (oldest) and of the recent base-load medians.
REFERENCE_DAYS, RECENT_DAYS, TREND_DAYS = 7, 2, 7
#: Days in a row above the reference a creep needs (the last of them at its level): a
#: night or two of pump or HVAC waste is not a rise that stays.
PERSIST_DAYS = 3
#: Share of the rise below which a day is still climbing, and how many such days a creep
#: needs: a leak or a changed setting is at its level from its first whole day.
CLIMBED_SHARE, CLIMB_DAYS = 0.8, 2
#: Reference days a day kind needs for its own level; with fewer it uses the whole week's.
MIN_KIND_DAYS = 2
#: Last days of a training window that must agree on one base level before the days above it
#: are taken for waste that stopped: three days see a weekend and a working day or three
#: working days; fewer and a quiet holiday could pass for the meter's level.
SETTLED_DAYS = 3


@dataclass(frozen=True, slots=True)
class Creep:
    """A creep found: from hour index ``start`` to the end of the data, with its size."""

    start: int
    #: Estimated extra kWh of each hour from ``start`` to the end (the day's base-load rise).
    excess: np.ndarray
    rise_kwh_per_hour: float
    reference_kwh_per_hour: float
    tau: float


def above_bar(rise: float, noise: float) -> float:
    """How far a day must be from its level to count as above it (or, mirrored, below it):
    three noise units, or a quarter of the recent rise if that is more."""
    return max(3.0 * noise, 0.25 * rise)


def day_noise(dev: np.ndarray) -> float | None:
    """Day-to-day noise of the daily deviations before the recent days, None with too few days.

    From the differences of consecutive days: a ramp only shifts their median, and a level
    that moved once (a creep fixed) is one outlying difference.
    """
    history = dev[:-RECENT_DAYS]
    steps = np.diff(history[~np.isnan(history)])
    if steps.size < 4:
        return None
    return 1.4826 * float(np.median(np.abs(steps - np.median(steps)))) / np.sqrt(2.0)


def _nanquantile(a: np.ndarray, q: float, axis: int = 0) -> np.ndarray:
    """The ``q`` quantile along ``axis`` ignoring NaN (NaN where all are), linear between ranks, by one sort."""
    a = np.moveaxis(np.asarray(a, dtype=float), axis, -1)
    if a.shape[-1] == 0:
        return np.full(a.shape[:-1], np.nan)
    s = np.sort(a, axis=-1)
    n = (~np.isnan(a)).sum(axis=-1)
    pos = q * np.maximum(n - 1, 0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    low = np.take_along_axis(s, lo[..., None], axis=-1)[..., 0]
    high = np.take_along_axis(s, hi[..., None], axis=-1)[..., 0]
    return np.where(n > 0, low + (pos - lo) * (high - low), np.nan)


class BaseLoadCreep:
    """Finds a steady rise of the closed-hours base load of one meter over the window."""

    def __init__(
        self,
        min_rated_share: float = MIN_RATED_SHARE,
        min_noise_units: float = MIN_NOISE_UNITS,
        min_tau: float = MIN_TAU,
        max_step_share: float = MAX_STEP_SHARE,
    ) -> None:
        self.min_rated_share = min_rated_share
        self.min_noise_units = min_noise_units
        self.min_tau = min_tau
        self.max_step_share = max_step_share

    def daily_base(self, kwh: np.ndarray, closed: np.ndarray) -> tuple[int, np.ndarray]:
        """(offset, base): each whole day's closed-hours base load (its lower decile), shape (days, meters), NaN if unknown.

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
        base = _nanquantile(chosen, BASE_QUANTILE, axis=1)
        return offset, np.where(enough, base, np.nan)

    @staticmethod
    def day_kinds(working: np.ndarray, offset: int) -> np.ndarray:
        """Per whole day (as :meth:`daily_base` cuts them), True on working days, from an hourly flag."""
        days = (working.size - offset) // DAY_HOURS
        return working[offset : offset + days * DAY_HOURS].reshape(days, DAY_HOURS).mean(axis=1) >= 0.5

    @staticmethod
    def reference_days(base: np.ndarray) -> np.ndarray:
        """Per meter, its reference days (days x meters, bool): the REFERENCE_DAYS days of the
        window, before the recent ones, with the lowest base load.

        Not simply the oldest week: a creep fixed a few weeks ago (or one still held) lifts
        the oldest days, and a new creep measured from there is half hidden; nor one quiet
        week, which two creeps a few days apart leave none of. The lowest days are the
        meter's level without creep; weather the baseline expects is taken off separately
        (the drift).
        """
        days = base.shape[0]
        usable = max(days - RECENT_DAYS - TREND_DAYS // 2, min(days, REFERENCE_DAYS))
        head = np.nan_to_num(base[:usable], nan=np.inf)
        order = np.argsort(head, axis=0, kind="stable")[:REFERENCE_DAYS]
        out = np.zeros(base.shape, dtype=bool)
        np.put_along_axis(out, order, True, axis=0)
        return out & ~np.isnan(base)

    @staticmethod
    def reference(base: np.ndarray, kinds: np.ndarray | None = None, days: np.ndarray | None = None) -> np.ndarray:
        """Each day's reference level (days x meters): the median of the reference days of its
        kind (``days`` from :meth:`reference_days`; default the oldest week)."""
        if days is None:
            days = np.zeros(base.shape, dtype=bool)
            days[:REFERENCE_DAYS] = True
        ref_days = np.where(days, base, np.nan)
        whole = nan_median(ref_days, axis=0)
        out = np.broadcast_to(whole, base.shape).copy()
        if kinds is None:
            return out
        for kind in (False, True):
            own = np.where(days & (kinds == kind)[:, None], base, np.nan)
            counts = (~np.isnan(own)).sum(axis=0)
            level = np.where(counts >= MIN_KIND_DAYS, nan_median(own, axis=0), whole)
            out[kinds == kind] = level
        return out

    def stopped_waste(self, kwh: np.ndarray, closed: np.ndarray, rated_kw: np.ndarray) -> np.ndarray:
        """Hours (hours x meters) of whole days whose closed-hours base load sat clearly above the
        level the training window's last SETTLED_DAYS days agree on: waste that stopped inside
        the window (a creep fixed, a leak mended), which a baseline would learn as normal.

        The bar is a creep's: MIN_RATED_SHARE of the rating or MIN_NOISE_UNITS of the day-to-day
        noise. Nothing is marked while the last days disagree (waste going on now is the
        detectors' to find, not the baseline's to forget). Not for meters whose night load
        follows the weather (HVAC): a cooling season's first weeks sit above its last.
        """
        offset, base = self.daily_base(kwh, closed)
        out = np.zeros(kwh.shape, dtype=bool)
        if base.shape[0] <= SETTLED_DAYS:
            return out
        recent = base[-SETTLED_DAYS:]
        level = nan_median(recent, axis=0)
        for k in range(base.shape[1]):
            noise = day_noise(base[:, k]) or 0.0
            bar = max(self.min_rated_share * float(rated_kw[k]), self.min_noise_units * noise)
            if bar <= 0 or np.isnan(recent[:, k]).any() or np.ptp(recent[:, k]) > bar:
                continue
            high = np.nan_to_num(base[:-SETTLED_DAYS, k], nan=-np.inf) > level[k] + bar
            out[offset : offset + high.size * DAY_HOURS, k] = np.repeat(high, DAY_HOURS)
        return out

    def candidates(self, base: np.ndarray, rated_kw: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        """Columns of ``base`` (days x meters) whose recent base is clearly above the reference."""
        if base.shape[0] < REFERENCE_DAYS + TREND_DAYS // 2:
            return np.zeros(base.shape[1], dtype=bool)
        if reference is None:
            reference = self.reference(base)
        rise = np.nan_to_num(nan_median(base[-RECENT_DAYS:] - reference[-RECENT_DAYS:], axis=0), nan=0.0)
        return rise >= self.min_rated_share * np.where(rated_kw > 0, rated_kw, 0.0)

    def find(self, base: np.ndarray, offset: int, rated_kw: float, reference: np.ndarray | None = None) -> Creep | None:
        """A creep in one meter's daily ``base`` (from :meth:`daily_base`), or None.

        ``reference`` is each day's reference level (:meth:`reference`, one column); by
        default the median of the oldest week.
        """
        days = base.size
        if days < REFERENCE_DAYS + TREND_DAYS // 2:
            return None
        if reference is None:
            reference = self.reference(base[:, None])[:, 0]
        dev = base - reference
        clear = self._rise(dev, rated_kw)
        if clear is None:
            return None
        rise, noise = clear
        # A day clearly below its level (the day an earlier creep was fixed, in a window whose
        # quietest days were all that creep) shows the level of its day kind was too high:
        # the days after it rise from there. Left as it was, a leak the next night rose
        # against two levels at once and read as a two-day climb.
        below = np.flatnonzero(dev < -above_bar(rise, noise))
        if below.size:
            reference = reference.copy()
            for d in below.tolist():
                same = reference == reference[d]
                reference[same] = np.minimum(reference[same], base[d])
            dev = base - reference
        # The creep starts after the last day still at the reference level.
        above = dev > above_bar(rise, noise)
        settled = np.flatnonzero(~above[:-1] & ~np.isnan(dev[:-1]))
        first_day = int(settled[-1]) + 1 if settled.size else 0
        rising = dev[first_day:]
        known = rising[~np.isnan(rising)]
        if known.size < PERSIST_DAYS or known[0] > self.max_step_share * known[-1]:
            return None  # a night or two above, or a step: not a ramp
        # Days on the way up, the first small step (below the "above" bar) included.
        way = dev[max(first_day - 1, 0) :]
        way = way[~np.isnan(way)]
        if np.count_nonzero((way > 3.0 * noise) & (way < CLIMBED_SHARE * rise)) < CLIMB_DAYS:
            return None  # reached its level in a day: a leak or a changed setting
        # The climb, up to the first day at its level: a crept load then stays, so the days
        # after it are flat and would only dilute the trend.
        top = first_day + int(np.flatnonzero(np.nan_to_num(rising, nan=-np.inf) >= CLIMBED_SHARE * rise)[0])
        trend = dev[max(first_day - 1, 0) : top + 1]
        ok = ~np.isnan(trend)
        tau = float(kendalltau(np.arange(trend.size)[ok], trend[ok]).statistic) if ok.sum() >= 3 else 0.0
        if not tau >= self.min_tau:
            return None
        daily = np.clip(np.nan_to_num(rising, nan=0.0), 0.0, None)
        return Creep(
            start=offset + first_day * DAY_HOURS,
            excess=np.repeat(daily, DAY_HOURS),
            rise_kwh_per_hour=rise,
            reference_kwh_per_hour=float(np.nanmedian(reference)),
            tau=tau,
        )

    def follow(self, base: np.ndarray, offset: int, rated_kw: float, reference: np.ndarray, start: int) -> Creep | None:
        """A creep found by an earlier pass, measured against the level it was found against
        (``reference``, from :meth:`HeldCreep.reference`) from hour index ``start`` (or the
        window's first whole day, if it began before); None once its last days are no longer
        clearly above it.

        Its climb was judged when it was found: now only its staying counts. The window's own
        lowest days would by now be the creep's first climbing days, and the start after the
        last day still at a level that rose with them would move later every pass.
        """
        if base.size < REFERENCE_DAYS + TREND_DAYS // 2:
            return None
        dev = base - reference
        clear = self._rise(dev, rated_kw)
        if clear is None:
            return None
        # A day back at the level (the day it was fixed): what rises after it, a leak the next
        # night, is not the creep going on, even while the last two days' median is still high.
        if np.any(dev[-RECENT_DAYS - 1 :] <= above_bar(*clear)):
            return None
        start = min(max(start, offset), offset + base.size * DAY_HOURS - 1)
        first_day = (start - offset) // DAY_HOURS
        daily = np.clip(np.nan_to_num(dev[first_day:], nan=0.0), 0.0, None)
        excess = np.repeat(daily, DAY_HOURS)[start - offset - first_day * DAY_HOURS :]
        return Creep(
            start=start,
            excess=excess,
            rise_kwh_per_hour=clear[0],
            reference_kwh_per_hour=float(np.nanmedian(reference)),
            tau=float("nan"),
        )

    def _rise(self, dev: np.ndarray, rated_kw: float) -> tuple[float, float] | None:
        """(rise, noise): the recent days' rise over the reference and the day-to-day noise, if
        the rise is clear (enough noise units and share of the rating), else None."""
        noise = day_noise(dev)
        recent = dev[-RECENT_DAYS:]
        recent = recent[~np.isnan(recent)]
        if noise is None or recent.size == 0:
            return None
        rise = float(np.median(recent))
        if rise < max(self.min_noise_units * noise, self.min_rated_share * rated_kw if rated_kw > 0 else 0.0):
            return None
        return rise, noise
