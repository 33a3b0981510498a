"""Two-sided hourly anomaly scores: how far each hour is from the meter's own normal, either way.

Waste (above the normal) and shortfalls (below it: equipment off, an outage, a meter or
gateway failing, a flat line) are both abnormal. The score is unsigned, higher is more
abnormal, and 1 is a typical hour; the direction says which way the hour is off.

How an hour is judged (chosen on the real labelled LEAD1.0 development buildings, see
``docs/model-quality.md``):

- two references from :mod:`models.reference`, the median of the same hour on the same day
  kind over the nearest ``local_weeks`` and over the nearest ``season_weeks``; the first
  follows the seasons and changes of schedule, the second keeps a long waste episode or a
  summer of running all night from becoming its own normal;
- each residual in units of the meter's robust noise for that hour of day, taken relative to the
  expected level (``relative_noise``): load noise grows with the load, so a month at twice the
  level is judged by twice the spread, not called abnormal hour after hour, and a dip in a
  quiet season is not drowned by the busy season's spread;
- averaged over ``smoothing`` windows (hours), so that an hour inside a run of abnormal hours
  scores higher than an isolated noisy one, and an isolated strong one still counts;
- plus ``spike_weight`` times a one-hour glitch score (an hour far from both neighbours);
- hours of a flat line (``flat_hours`` or more readings on one straight line, the mark of a
  stuck register or of a gap filled by interpolation) are flagged whatever their level.

Flags are runs of hours at or above ``threshold``, joined across gaps of ``join_hours`` and
kept when ``min_hours`` long.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.reference import hour_scale, reference

#: Episode kinds, by direction.
ABOVE, BELOW, FLAT = "above", "below", "flat_line"
#: With relative noise, the scale never falls below this share of the absolute one: where the
#: expected level is near zero (lights off at night) a relative spread would call a few kWh
#: infinitely abnormal. 0 to 0.35 score the same on the dev buildings; 0.7 loses 0.01 on one.
ABSOLUTE_NOISE_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class HourlyScores:
    """Per hour of the series: expected kWh, score (>= 0), direction (+1, -1, 0), flag, episode (0: none)."""

    expected: np.ndarray
    score: np.ndarray
    direction: np.ndarray
    flag: np.ndarray
    episode: np.ndarray
    kinds: dict[int, str]


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving mean over ``width`` hours that skips missing values."""
    if width <= 1:
        return values
    known = np.isfinite(values)
    kernel = np.ones(width)
    total = np.convolve(np.where(known, values, 0.0), kernel, mode="same")
    count = np.convolve(known.astype(float), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _unit(values: np.ndarray) -> np.ndarray:
    """``values`` divided by their median, so that 1 is a typical hour."""
    middle = np.nanmedian(values) if np.isfinite(values).any() else 0.0
    return values / middle if middle > 0 else values


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open (start, stop) of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def flat_lines(kwh: np.ndarray, hours: int) -> np.ndarray:
    """True on hours inside ``hours`` or more consecutive readings lying on one straight line.

    A run of zeros is not one: lights and pumps are off for hours (a frozen register reading
    zero is the stuck-register check's, models.stuck)."""
    flat = np.zeros(kwh.size, dtype=bool)
    if kwh.size < 3 or hours < 3:
        return flat
    step = np.diff(kwh)
    tolerance = 1e-6 * np.maximum(1.0, np.abs(kwh[1:-1]))
    straight = np.abs(np.diff(step)) <= tolerance  # reading i+1 continues the line of i and i+2
    for start, stop in runs(straight):
        if stop - start + 2 >= hours and np.nanmax(np.abs(kwh[start : stop + 2])) > 1e-9:
            flat[start : stop + 2] = True
    return flat


class TwoSidedScorer:
    """Scores an hourly series against its own same-hour references, in both directions.

    Parameters
    ----------
    local_weeks, season_weeks : int
        Occurrences of the same hour and day kind on each side that make the two references.
    smoothing : tuple of int
        Widths (hours) of the moving means averaged into the score.
    spike_weight : float
        Weight of the one-hour glitch score.
    threshold : float
        Score at or above which an hour is flagged (1 is a typical hour).
    peak : float
        Score that an episode's strongest hour must reach for the episode to be kept.
    min_hours, join_hours : int
        Shortest flagged episode kept, and longest gap joined inside one.
    flat_hours : int
        Readings on one straight line that make a flat-line episode (0 turns it off).
    relative_noise : bool
        Scale residuals by the spread of residual / expected per hour of day times the hour's
        expected level (True), or by the spread of the residuals themselves (False).
    causal : bool
        Use only earlier readings for the references (live scoring); the smoothing is then
        trailing too. The noise scale is still taken over the whole series given, so live
        scoring passes a window that ends now.
    """

    def __init__(
        self,
        local_weeks: int = 8,
        season_weeks: int = 52,
        smoothing: tuple[int, ...] = (3, 9, 25),
        spike_weight: float = 0.1,
        threshold: float = 4.0,
        peak: float = 8.0,
        min_hours: int = 3,
        join_hours: int = 12,
        flat_hours: int = 6,
        relative_noise: bool = True,
        causal: bool = False,
    ) -> None:
        self.local_weeks = local_weeks
        self.season_weeks = season_weeks
        self.smoothing = smoothing
        self.spike_weight = spike_weight
        self.threshold = threshold
        self.peak = peak
        self.min_hours = min_hours
        self.join_hours = join_hours
        self.flat_hours = flat_hours
        self.relative_noise = relative_noise
        self.causal = causal

    def score(self, kwh: np.ndarray, hour: np.ndarray, day_key: np.ndarray) -> HourlyScores:
        """Score a regular hourly series ``kwh`` (NaN where missing) with its hour of day and day key."""
        kwh = np.asarray(kwh, dtype=float)
        hour = np.asarray(hour, dtype=np.int64)
        day_key = np.asarray(day_key, dtype=np.int64)
        parts, sharp, signed = [], [], []
        normals = [reference(kwh, hour, day_key, weeks, causal=self.causal) for weeks in (self.local_weeks, self.season_weeks)]
        # The level the noise grows with. The local reference's is never below the season's: after
        # a long outage the weeks around expect almost nothing, and the first normal days must not
        # look extreme against a spread drawn to zero. The season's is its own, so that weeks at a
        # raised level stay abnormal against the year (taking the larger for both: same dev-set
        # ROC-AUC, but most labelled weeks of raised nights on one dev building went unflagged).
        levels = (np.fmax(np.abs(normals[0]), np.abs(normals[1])), np.abs(normals[1]))
        for normal, level in zip(normals, levels, strict=True):
            residual = kwh - normal
            z = residual / self._noise(residual, hour, normal, level)
            parts.append(np.mean([_unit(self._smooth(np.abs(z), w)) for w in self.smoothing], axis=0))
            sharp.append(_unit(np.abs(z)))
            signed.append(self._smooth(z, max(self.smoothing)))
        score = np.mean(parts, axis=0)
        if self.spike_weight > 0:
            score = score + self.spike_weight * _unit(self._smooth(self._spikes(kwh, hour), 3))
        score = np.where(np.isfinite(kwh), np.nan_to_num(score, nan=0.0), np.nan)
        direction = np.sign(np.nan_to_num(np.mean(signed, axis=0))).astype(np.int64)
        flat = flat_lines(kwh, self.flat_hours) if self.flat_hours else np.zeros(kwh.size, dtype=bool)
        flag, episode, kinds = self._episodes(score, np.nan_to_num(np.mean(sharp, axis=0)), direction, flat)
        return HourlyScores(normals[0], score, direction, flag, episode, kinds)

    def _smooth(self, values: np.ndarray, width: int) -> np.ndarray:
        if not self.causal or width <= 1:
            return _smooth(values, width)
        # trailing window: shift the centred mean so that it ends at the hour itself
        shifted = _smooth(values, width)
        half = width // 2
        return np.concatenate([np.full(half, np.nan), shifted[:-half]]) if half else shifted

    def _noise(self, residual: np.ndarray, hour: np.ndarray, normal: np.ndarray, level: np.ndarray) -> np.ndarray:
        """Robust noise scale of each reading's ``residual`` from its ``normal``, per hour of day,
        growing with the expected ``level`` (>= 0) when the noise is relative."""
        absolute = hour_scale(residual, hour, normal)
        if not self.relative_noise:
            return absolute
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(level > 0, residual / level, np.nan)
        relative = hour_scale(share, hour, np.ones_like(share)) * level
        return np.where(np.isfinite(relative), np.maximum(relative, ABSOLUTE_NOISE_SHARE * absolute), absolute)

    def _spikes(self, kwh: np.ndarray, hour: np.ndarray) -> np.ndarray:
        """How far each hour is from the mean of its two neighbours, in units of that hour's noise."""
        between = np.full(kwh.size, np.nan)
        between[1:-1] = (kwh[:-2] + kwh[2:]) / 2
        return np.abs(kwh - between) / self._noise(kwh - between, hour, between, np.abs(between))

    def _episodes(
        self, score: np.ndarray, sharp: np.ndarray, direction: np.ndarray, flat: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
        """Runs of high ``score``, each trimmed to the hours where the unsmoothed ``sharp`` score
        is high too (the wide windows spread an episode's score half a window each way)."""
        high = np.nan_to_num(score) >= self.threshold
        for start, stop in runs(~high):  # join short gaps between flagged runs
            if 0 < start and stop < high.size and stop - start <= self.join_hours:
                high[start:stop] = True
        flag = np.zeros(score.size, dtype=bool)
        episode = np.zeros(score.size, dtype=np.int64)
        kinds: dict[int, str] = {}
        spans: list[tuple[int, int, str | None]] = []
        for start, stop in runs(high):
            inside = np.flatnonzero(sharp[start:stop] >= self.threshold)
            if inside.size:
                start, stop = start + int(inside[0]), start + int(inside[-1]) + 1
            if stop - start >= self.min_hours and np.nanmax(score[start:stop]) >= self.peak:
                spans.append((start, stop, None))
        # A flat line is a fault only where it is also off the meter's normal: a constant load
        # read by a coarse register is flat and fine.
        spans += [(s, e, FLAT) for s, e in runs(flat & ~high) if np.nanmax(score[s:e]) >= self.threshold]
        for number, (start, stop, kind) in enumerate(sorted(spans), start=1):
            flag[start:stop] = True
            episode[start:stop] = number
            if kind is None and flat[start:stop].mean() >= 0.5:
                kind = FLAT  # abnormal because the readings were drawn with a ruler
            elif kind is None:
                kind = ABOVE if direction[start:stop].sum() >= 0 else BELOW
            kinds[number] = kind
        return flag, episode, kinds
