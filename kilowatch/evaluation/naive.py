"""The naive scorers a real detector must beat, run by the same command on the same data.

- ``robust_z``: abs(x - median) / MAD of the same hour of the week over the whole series;
- ``isolation_forest``: scikit-learn's IsolationForest on five simple features (value, hour,
  weekday, change from the previous hour, change from the same hour the day before).

Both are scored per meter on its regular hourly series (NaN where missing); higher is more
abnormal. They are references, not products: they flag nothing.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.ensemble import IsolationForest


def robust_z(kwh: np.ndarray, hour: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """abs(x - median) / MAD per hour of the week, over the whole series."""
    score = np.full(kwh.size, np.nan)
    slot = weekday * 24 + hour
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for k in np.unique(slot):
            at = slot == k
            middle = np.nanmedian(kwh[at])
            mad = np.nanmedian(np.abs(kwh[at] - middle))
            score[at] = np.abs(kwh[at] - middle) / (mad + 1e-9)
    return score


def isolation_forest(kwh: np.ndarray, hour: np.ndarray, weekday: np.ndarray, seed: int = 0) -> np.ndarray:
    """IsolationForest's anomaly score (negated ``score_samples``) on five simple features."""
    previous = np.concatenate([[np.nan], kwh[:-1]])
    day_before = np.concatenate([np.full(24, np.nan), kwh[:-24]])
    X = np.column_stack([kwh, hour, weekday, kwh - previous, kwh - day_before])
    X = np.where(np.isfinite(X), X, 0.0)
    score = -IsolationForest(n_estimators=200, random_state=seed).fit(X).score_samples(X)
    return np.where(np.isfinite(kwh), score, np.nan)


SCORERS = {"robust_z": robust_z, "isolation_forest": isolation_forest}
