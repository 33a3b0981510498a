"""Edge hours whose level moved inside themselves: a half-hour move of the opening or the closing.

A site's span is learnt in whole hours (``models.opening``): a mall that closed at 22:30 and now
closes at 23:00 is open 9-23 before and after, but its 22:00 hour went from half open to open.
Its lobby lights and lifts then draw at 22:00 what the baselines learnt as twice normal; robust
fits keep the old normal until more than half the window holds the new one, and both alerted
there every evening (realistic seed 65537: eight alerts). Here a day's first and last open hours
are read as a share of each follower's range that day; when several followers sit at a new level
in one of them on ``CONFIRM_DAYS`` days of a kind in a row, that hour has moved (the same proof as
an hour's move of the span, ``models.opening.SMALL_CONFIRM_DAYS``).

Vectorised over the days and meters of one site: the reference of each day is the median of the
earlier days of its span, one masked median; only a move found restarts it (a few times a window
at most).
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from models.reference import nan_median

#: Share of a follower's range that day by which its level in an edge hour must differ from the
#: earlier days' to count as moved. A half-hour move shifts it by about half (a lobby light at
#: 22:00: 0.5 of its range, then 1.0); the day-to-day noise of a busy lift's edge hour is about 0.1.
EDGE_SHIFT = 0.25
#: Earlier days at the span in force that a day's edge level is compared with.
MIN_REFERENCE_DAYS = 3
#: Days of one kind in a row on which the followers must show the edge moved.
CONFIRM_DAYS = 3
#: Groups of followers (see ``_votes``) that must have moved the same way on each of those days: at
#: least two, and a third of those drawing in that hour (``models.opening.TOGETHER_SHARE``: one
#: meter is waste, the weather moves the HVAC, a schedule moves them all).
MIN_MOVED, MOVED_SHARE = 2, 1 / 3


class EdgeMove(NamedTuple):
    """An edge hour that moved: from the ``first`` to the ``last`` of the days that confirmed it
    (indices into the days given), ``edge`` 0 for the first open hour, 1 for the last."""

    first: int
    last: int
    edge: int


def edge_levels(days: np.ndarray, spans: list, min_swing: float) -> np.ndarray:
    """Per day, edge (first and last open hour of ``spans[d]``) and meter of ``days`` (days x 24 x
    meters, each meter scaled to its usual range), the level there as a share of the meter's range
    that day; NaN where the day has no span, or the meter a gap or a range under ``min_swing``."""
    n_days = days.shape[0]
    has = np.array([isinstance(s, tuple) for s in spans], dtype=bool)
    first = np.array([s[0] if isinstance(s, tuple) else 0 for s in spans], dtype=np.int64)
    last = np.array([s[1] - 1 if isinstance(s, tuple) else 0 for s in spans], dtype=np.int64)
    filled = np.where(np.isnan(days), 0.0, days)
    low, high = filled.min(axis=1), filled.max(axis=1)
    width = np.where(high > low, high - low, np.nan)
    rows = np.arange(n_days)
    out = np.stack([(filled[rows, first, :] - low) / width, (filled[rows, last, :] - low) / width], axis=1)
    swing = ~np.isnan(days).any(axis=1) & (high - low >= min_swing)
    return np.where((has[:, None] & swing)[:, None, :], out, np.nan)


def edge_moves(levels: np.ndarray, segment: np.ndarray, groups: np.ndarray) -> list[EdgeMove]:
    """The edge moves in ``levels`` (days x 2 x meters, one day kind's days in order, from
    :func:`edge_levels`; NaN rows for days not at the span in force), ``segment`` per day the span
    in force (an integer id: a day is compared only with earlier days of its own), ``groups`` per
    meter its vote (see :func:`_votes`)."""
    moves: list[EdgeMove] = []
    # A move needs meters of two groups to differ by EDGE_SHIFT between some days: most sites have
    # none, and are done here.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: meters never at the span
        wide = (np.nanmax(levels, axis=0) - np.nanmin(levels, axis=0)) > EDGE_SHIFT  # edge x meter
    for edge in (0, 1):
        if np.unique(groups[wide[edge]]).size < MIN_MOVED:
            continue
        since = 0
        while since < levels.shape[0]:
            found = _first_move(levels[since:, edge, :], segment[since:], groups)
            if found is None:
                break
            moves.append(EdgeMove(since + found - CONFIRM_DAYS + 1, since + found, edge))
            since += found - CONFIRM_DAYS + 1  # the moved days are the new level
    return moves


def _first_move(level: np.ndarray, segment: np.ndarray, groups: np.ndarray) -> int | None:
    """Index of the day that first completes CONFIRM_DAYS days in a row of the followers moved one
    way from the median of the earlier days of the same segment; None without one."""
    n = level.shape[0]
    if n < CONFIRM_DAYS:
        return None
    earlier = np.tri(n, k=-1, dtype=bool) & (segment[:, None] == segment[None, :])
    stack = np.where(earlier[:, :, None], level[None, :, :], np.nan)  # day x earlier day x meter
    reference = nan_median(stack, axis=1)
    counted = (~np.isnan(stack)).sum(axis=1) >= MIN_REFERENCE_DAYS
    shift = np.where(counted, level - reference, np.nan)
    # Of the followers that draw in that hour at all, before or now: a lift whose day ends an hour
    # before the doors close says nothing of when they close.
    present = ~np.isnan(shift) & ((reference >= EDGE_SHIFT) | (level >= EDGE_SHIFT))
    up, down, voters = _votes(np.nan_to_num(shift, nan=0.0), present, groups)
    need = np.maximum(MIN_MOVED, np.ceil(MOVED_SHARE * voters))
    # The others stay or move the same way: a meter left on (or off) the other way is one meter.
    way = np.where((up >= need) & (down < MIN_MOVED), 1, 0)
    way = np.where((down >= need) & (up < MIN_MOVED), -1, way)
    runs = np.lib.stride_tricks.sliding_window_view(way, CONFIRM_DAYS)
    hits = np.flatnonzero((runs != 0).all(axis=1) & (runs == runs[:, :1]).all(axis=1))
    return int(hits[0]) + CONFIRM_DAYS - 1 if hits.size else None


def _votes(shift: np.ndarray, present: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per day: the groups of followers that moved up, down, and those present. Each group (a
    category, and the meters that follow the weather together) votes once, by half its present
    meters: a warm spell lifts a site's HVAC and chillers at 22:00 together, for days; a later
    close lifts its lobby lights and lifts as well."""
    onehot = (groups[:, None] == np.unique(groups)[None, :]).astype(float)  # meters x groups
    n = present.astype(float) @ onehot
    half = np.maximum(n, 1.0) / 2.0
    up = (((shift > EDGE_SHIFT) & present).astype(float) @ onehot >= half) & (n > 0)
    down = (((shift < -EDGE_SHIFT) & present).astype(float) @ onehot >= half) & (n > 0)
    return up.sum(axis=1), down.sum(axis=1), (n > 0).sum(axis=1)
