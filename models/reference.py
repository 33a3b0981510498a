"""A meter's own normal for each hour: the median of the same hour on the same kind of day nearby.

No table of opening hours, no climate model: the reference for Tuesday 09:00 is the median of
the meter's Tuesday-09:00 readings in the weeks around it (or only before it, when scoring
live). A building that changes its schedule or level moves its reference within a few weeks,
and waste or outages already in the history weigh no more than one reading each in a median.

The day kind is any small integer per day: the weekday (0-6) by default, with holidays mapped
to Sunday's key (:data:`HOLIDAY_KEY`) when a calendar is given.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: 1.4826 x MAD estimates a standard deviation for Gaussian noise.
MAD_TO_SIGMA = 1.4826
#: A meter's scale never falls below 1 % of its typical reading for that hour: a meter whose
#: readings repeat exactly would otherwise call any change infinitely abnormal.
SCALE_FLOOR = 0.01
#: A median over fewer readings than this is not robust (of two, one waste day is half of it).
MIN_READINGS = 4
#: Day key of holidays when a calendar is given: they are judged against Sundays.
HOLIDAY_KEY = 6


def day_keys(weekday: np.ndarray, workday: np.ndarray) -> np.ndarray:
    """Day key per hour or day: the weekday (0 Monday), but a holiday on a weekday takes
    :data:`HOLIDAY_KEY` and a working day on a weekend (a make-up day) Monday's key."""
    weekday = np.asarray(weekday, dtype=np.int64)
    workday = np.asarray(workday, dtype=bool)
    return np.where(workday & (weekday >= 5), 0, np.where(~workday & (weekday < 5), HOLIDAY_KEY, weekday))


def nan_median(a: np.ndarray, axis: int = 0) -> np.ndarray:
    """The median along ``axis`` ignoring NaN (NaN where all are), by one sort: numpy's nanmedian
    is slow on the many small arrays a pass over thousands of sites asks for."""
    a = np.moveaxis(np.asarray(a, dtype=float), axis, -1)
    if a.shape[-1] == 0:
        return np.full(a.shape[:-1], np.nan)
    s = np.sort(a, axis=-1)  # NaN sort last
    n = (~np.isnan(a)).sum(axis=-1)
    lo = np.take_along_axis(s, np.maximum((n - 1) // 2, 0)[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(s, np.minimum(n // 2, a.shape[-1] - 1)[..., None], axis=-1)[..., 0]
    return np.where(n > 0, (lo + hi) / 2.0, np.nan)


def row_median(values: np.ndarray) -> np.ndarray:
    """Median of each row ignoring NaN (NaN for an empty row)."""
    return nan_median(values, axis=1)


def by_group(values: np.ndarray, group: np.ndarray, pad: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``values`` laid out one row per group in their order (``pad`` NaNs either side of each
    row, NaN after its end), with each value's row and column in that layout."""
    _, row = np.unique(np.asarray(group), return_inverse=True)
    counts = np.bincount(row)
    order = np.argsort(row, kind="stable")
    column = np.empty(values.size, dtype=np.int64)
    column[order] = np.arange(values.size) - np.repeat(np.cumsum(counts) - counts, counts) + pad
    rows = np.full((counts.size, int(counts.max()) + 2 * pad), np.nan)
    rows[row, column] = values
    return rows, row, column


def same_hour_median(kwh: np.ndarray, key: np.ndarray, weeks: int, *, causal: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per hour, the median of the readings with the same ``key`` within ``weeks`` occurrences of it.

    ``kwh`` is a regular hourly series (NaN where missing); ``key`` is day key x 24 + hour. The
    hour itself is left out. With ``causal``, only earlier occurrences count (live scoring).
    Returns the medians and how many readings each was taken over. All keys at once: each
    key's readings are laid in a row of their own, and every hour takes its window of that row.
    """
    kwh = np.asarray(kwh, dtype=float)
    if kwh.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    rows, row, column = by_group(kwh, key, pad=weeks)
    window = sliding_window_view(rows, 2 * weeks + 1, axis=1)[row, column - weeks].copy()
    if causal:
        window[:, weeks:] = np.nan
    else:
        window[:, weeks] = np.nan
    return row_median(window), np.isfinite(window).sum(axis=1)


def reference(kwh: np.ndarray, hour: np.ndarray, day_key: np.ndarray, weeks: int, *, causal: bool = False) -> np.ndarray:
    """The same-hour median on the same day kind; where it rests on fewer than :data:`MIN_READINGS`
    readings (a short history), the same hour on all working days, or all weekend days, nearby."""
    same, count = same_hour_median(kwh, day_key * 24 + hour, weeks, causal=causal)
    if (count < MIN_READINGS).any():
        weekend = (day_key >= 5).astype(np.int64)
        pooled, _ = same_hour_median(kwh, weekend * 24 + hour, weeks * 5, causal=causal)
        same = np.where(count < MIN_READINGS, pooled, same)
    return same


def hour_scale(residual: np.ndarray, hour: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Robust noise scale of ``residual`` for each hour of day, per reading."""
    if residual.size == 0:
        return np.ones(0)
    spread, row, _ = by_group(np.abs(residual), hour)
    levels, _, _ = by_group(np.abs(level), hour)
    mad = row_median(spread) * MAD_TO_SIGMA
    floor = SCALE_FLOOR * np.nan_to_num(row_median(levels), nan=0.0) + 1e-9
    return np.where(np.isfinite(mad), np.maximum(mad, floor), floor)[row]
