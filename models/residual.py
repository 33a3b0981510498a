"""``ResidualDetector``: hours of excess over a baseline, grouped into persistent episodes.

Score convention (the only one in kilowatch): higher means more anomalous.
``score = (actual - expected) / scale``, so a meter drawing less than expected scores
negative and is never waste; unknown hours score NaN and are never flagged. The
multivariate detector and ``kilowatch score`` convert to this convention once, at source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from models.kinds import (
    CHECKS,
    CLOSED_HOURS_KINDS,
    JOIN_OPEN_HOURS,
    SAME_LEVEL,
    Check,
    episode_kind,
)

#: Normal hours allowed inside one episode. Bridging a short dip keeps one waste event
#: one alert; bridging more would join unrelated events into a single long alert.
DEFAULT_MAX_GAP_HOURS = 2


@dataclass(frozen=True, slots=True)
class Episode:
    """Hours ``[start, stop)`` (indices into the scored arrays) of one excess episode."""

    start: int
    stop: int
    kind: str
    excess_hours: int
    peak_score: float
    #: Index of the hour at whose end the episode first met its check's evidence rule.
    detected: int
    #: True while the episode may still be growing: it touches the end of the data, or (a
    #: closed-hours kind) only open hours have come since.
    ongoing: bool

    @property
    def hours(self) -> slice:
        return slice(self.start, self.stop)


def _per_hour(kinds: np.ndarray, checks: Mapping[str, Check]) -> tuple[np.ndarray, ...]:
    n = kinds.size
    thr, share, sthr, sshare, min_hours = (np.empty(n) for _ in range(5))
    for kind in set(kinds.tolist()):
        check = checks[kind]
        at = kinds == kind
        thr[at], share[at], min_hours[at] = check.threshold, check.min_rated_share, check.min_hours
        sthr[at], sshare[at] = check.strong if check.strong else (np.inf, np.inf)
    return thr, share, sthr, sshare, min_hours


def _same_level(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two runs of excess hours draw the same extra: medians within ``SAME_LEVEL``."""
    if a.size == 0 or b.size == 0:
        return False
    x, y = float(np.median(a)), float(np.median(b))
    return x > 0 and y > 0 and max(x, y) <= SAME_LEVEL * min(x, y)


class ResidualDetector:
    """Flags hours whose excess passes their check and keeps the episodes with enough evidence.

    Parameters
    ----------
    max_gap_hours : int, default=2
        Longest run of normal hours bridged inside one episode (unknown hours, which the meter
        did not measure, are not counted: they neither end an episode nor lengthen a gap).
    threshold_offset : float, default=0.0
        Added to every check's score threshold (evaluation sweeps it; 0 in production).
    checks : mapping of kind to Check, default=None
        The evidence rules by kind; None means :data:`models.kinds.CHECKS`.
    """

    def __init__(
        self, max_gap_hours: int = DEFAULT_MAX_GAP_HOURS, threshold_offset: float = 0.0, checks: Mapping[str, Check] | None = None
    ) -> None:
        self.max_gap_hours = max_gap_hours
        self.threshold_offset = threshold_offset
        self.checks = checks

    @staticmethod
    def score(actual: np.ndarray, expected: np.ndarray, scale: float | np.ndarray) -> np.ndarray:
        """Anomaly score of each hour (higher is more anomalous; NaN where ``actual`` is unknown)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return (np.asarray(actual, dtype=float) - np.asarray(expected, dtype=float)) / np.asarray(scale, dtype=float)

    def hot(
        self, scores: np.ndarray, excess: np.ndarray, kinds: np.ndarray, rated_kw: float, relief: np.ndarray | float = 0.0
    ) -> np.ndarray:
        """True for the hours whose score and excess pass the check of their kind (less ``relief``)."""
        thr, share, _, _, _ = _per_hour(kinds, self.checks or CHECKS)
        z = np.nan_to_num(scores, nan=-np.inf)
        return (z > thr + self.threshold_offset - relief) & ((rated_kw <= 0) | (np.nan_to_num(excess) >= share * rated_kw))

    @staticmethod
    def _join_nights(
        groups: list[np.ndarray], kinds: np.ndarray, excess: np.ndarray, closed: np.ndarray | None
    ) -> list[np.ndarray]:
        """Join groups of a closed-hours kind separated only by a day of open hours: hours not of
        that kind, or (a compressor's kind covers every hour) hours the space is open. Two hours
        of either at the edges are allowed: 22:00 is night but a residential lobby is still open.
        Nights whose excess per hour is the same within ``SAME_LEVEL`` are the same fault going
        on whatever the hours between look like (an office lift idling every night while its
        site's later closing is not learnt yet)."""
        joined: list[np.ndarray] = []
        for group in groups:
            if joined:
                last = joined[-1]
                kind = episode_kind(kinds[group], excess[group])
                between = slice(last[-1] + 1, group[0])
                day = np.count_nonzero(kinds[between] == kind) <= 2 or (
                    closed is not None and np.count_nonzero(closed[between]) <= 2
                )
                if (
                    kind in CLOSED_HOURS_KINDS
                    and episode_kind(kinds[last], excess[last]) == kind
                    and group[0] - last[-1] - 1 <= JOIN_OPEN_HOURS
                    and (day or _same_level(excess[last[kinds[last] == kind]], excess[group[kinds[group] == kind]]))
                ):
                    joined[-1] = np.concatenate([last, group])
                    continue
            joined.append(group)
        return joined

    def _ongoing(self, kind: str, later: np.ndarray, closed: np.ndarray | None) -> bool:
        """Whether an episode followed by the known hours ``later`` may still be growing: it touches
        the end of the data, or (a closed-hours kind) only open hours have come since, so its next
        night continues it rather than opening another alert."""
        if later.size <= self.max_gap_hours:
            return True
        return (
            kind in CLOSED_HOURS_KINDS
            and closed is not None
            and later.size <= JOIN_OPEN_HOURS
            and bool(np.count_nonzero(closed[later]) <= 2)
        )

    def episodes(
        self,
        actual: np.ndarray,
        expected: np.ndarray,
        scale: np.ndarray,
        kinds: np.ndarray,
        rated_kw: float = 0.0,
        relief: np.ndarray | float = 0.0,
        closed: np.ndarray | None = None,
        strong_share: np.ndarray | None = None,
    ) -> list[Episode]:
        """Episodes of one meter, in time order: excess hours grouped, kind named, evidence checked.

        ``relief`` (per hour) lowers the score threshold where other evidence (the site's
        multivariate detector) already calls the hour anomalous. ``closed`` (per hour, True
        while the space is closed) lets the nights of a closed-hours kind on a meter judged
        at every hour (a compressor leaking day and night) join into one episode. ``strong_share``
        (per hour, None for 0 everywhere; ``models.kinds.strong_shares``) is the share of the
        rating by which one strong hour's excess must also pass its baseline (``np.inf``: never
        one hour alone).
        """
        scores = self.score(actual, expected, scale)
        excess = np.asarray(actual, dtype=float) - np.asarray(expected, dtype=float)
        hot_mask = self.hot(scores, excess, kinds, rated_kw, relief)
        hot = np.flatnonzero(hot_mask)
        if hot.size == 0:
            return []
        _, _, sthr, sshare, _ = _per_hour(kinds, self.checks or CHECKS)
        z = np.nan_to_num(scores, nan=-np.inf)
        strong = hot_mask & (z > sthr + self.threshold_offset) & ((rated_kw <= 0) | (excess >= sshare * rated_kw))
        if strong_share is not None:
            share = np.asarray(strong_share, dtype=float)
            strong &= np.isfinite(share) & ((share <= 0) | (rated_kw <= 0) | (excess >= share * rated_kw))
        # The gap between excess hours is counted in known hours: hours the meter did not measure
        # (a frozen register, a dropout) do not end an episode (a lift idling over a weekend
        # whose register froze for a day was two alerts, before and after; realistic seed 48611).
        at = np.cumsum(~np.isnan(scores))
        breaks = np.flatnonzero(np.diff(at[hot]) > self.max_gap_hours + 1) + 1
        known = np.flatnonzero(~np.isnan(scores))
        found = []
        closed = None if closed is None else np.asarray(closed, dtype=bool)
        for group in self._join_nights(np.split(hot, breaks), kinds, excess, closed):
            start, stop = int(group[0]), int(group[-1]) + 1
            kind = episode_kind(kinds[group], excess[group])
            check = (self.checks or CHECKS)[kind]
            own = group[kinds[group] == kind] if kind != "baseline_excess" else group
            candidates = []
            if own.size >= check.min_hours:
                candidates.append(int(own[check.min_hours - 1]))
            strong_own = own[strong[own]]
            if strong_own.size:
                candidates.append(int(strong_own[0]))
            if not candidates:
                continue
            found.append(
                Episode(
                    start=start,
                    stop=stop,
                    kind=kind,
                    excess_hours=int(group.size),
                    peak_score=float(np.nanmax(scores[start:stop])),
                    detected=min(candidates),
                    ongoing=self._ongoing(kind, known[known >= stop], closed),
                )
            )
        return found
