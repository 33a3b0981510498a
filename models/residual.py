"""``ResidualDetector``: persistent excess over a baseline, grouped into episodes.

Score convention (the only one in kilowatch): higher means more anomalous.
``score = (actual - expected) / scale``, so a meter drawing less than expected scores
negative and is never waste; unknown hours score NaN and are never flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Residual scale units an hour must exceed to count as excess. At 4 an hourly Gaussian
#: wobble passes about once in 30,000 hours; lower catches smaller waste (a few lamps
#: left on) at the price of false alerts on noisy meters.
DEFAULT_THRESHOLD = 4.0
#: Excess hours an episode needs. One or two hot hours are usually a reading glitch or
#: a legitimate one-off (a cleaning crew); 3 delays an alert by 3 hours.
DEFAULT_MIN_HOURS = 3
#: Normal hours allowed inside one episode. Bridging a short dip keeps one waste event
#: one alert; bridging more would join unrelated events into a single long alert.
DEFAULT_MAX_GAP_HOURS = 2


@dataclass(frozen=True, slots=True)
class Episode:
    """Hours ``[start, stop)`` (indices into the scored arrays) of one excess episode."""

    start: int
    stop: int
    excess_hours: int
    peak_score: float
    #: True while the episode touches the end of the data and may still be growing.
    ongoing: bool

    @property
    def hours(self) -> slice:
        return slice(self.start, self.stop)


class ResidualDetector:
    """Flags hours whose consumption exceeds the baseline and keeps persistent episodes.

    Parameters
    ----------
    threshold : float, default=4.0
        Score above which an hour is excess.
    min_hours : int, default=3
        Excess hours an episode needs to be reported.
    max_gap_hours : int, default=2
        Longest run of normal or unknown hours bridged inside one episode.
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        min_hours: int = DEFAULT_MIN_HOURS,
        max_gap_hours: int = DEFAULT_MAX_GAP_HOURS,
    ) -> None:
        self.threshold = threshold
        self.min_hours = min_hours
        self.max_gap_hours = max_gap_hours

    def score(self, actual: np.ndarray, expected: np.ndarray, scale: float | np.ndarray) -> np.ndarray:
        """Anomaly score of each hour (higher is more anomalous; NaN where ``actual`` is unknown)."""
        actual = np.asarray(actual, dtype=float)
        expected = np.asarray(expected, dtype=float)
        return (actual - expected) / np.asarray(scale, dtype=float)

    def flags(self, scores: np.ndarray) -> np.ndarray:
        """True for the hours whose score exceeds the threshold."""
        scores = np.asarray(scores, dtype=float)
        return np.nan_to_num(scores, nan=-np.inf) > self.threshold

    def episodes(self, actual: np.ndarray, expected: np.ndarray, scale: float | np.ndarray) -> list[Episode]:
        """Persistent excess episodes, in time order."""
        scores = self.score(actual, expected, scale)
        hot = np.flatnonzero(self.flags(scores))
        if hot.size == 0:
            return []
        # Split the excess hours wherever more than max_gap_hours separate two of them.
        breaks = np.flatnonzero(np.diff(hot) > self.max_gap_hours + 1) + 1
        known = np.flatnonzero(~np.isnan(scores))
        found = []
        for group in np.split(hot, breaks):
            if group.size < self.min_hours:
                continue
            start, stop = int(group[0]), int(group[-1]) + 1
            # Known hours after the episode: once more than a bridgeable gap of them is
            # back to normal the episode is over; until then it may still continue.
            after = int(np.count_nonzero(known >= stop))
            found.append(
                Episode(
                    start=start,
                    stop=stop,
                    excess_hours=int(group.size),
                    peak_score=float(np.nanmax(scores[start:stop])),
                    ongoing=after <= self.max_gap_hours,
                )
            )
        return found
