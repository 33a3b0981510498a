"""``SiteResidualForest``: an IsolationForest over the standardised residuals of a site's meters.

Per-meter thresholds miss patterns spread thinly over several meters (a whole floor's
lights and its HVAC a little high together). The forest scores each hour's vector of
residuals; where it calls the hour anomalous, meters already above 3 scale units there
need less evidence to count as excess.

Score convention: higher is more anomalous (``-decision_function``), positive is an outlier.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.ensemble import IsolationForest
from sklearn.utils.validation import check_is_fitted, validate_data


class SiteResidualForest(OutlierMixin, BaseEstimator):
    """IsolationForest on hours x meters residual scores, with NaN (unknown hours) read as 0.

    Parameters
    ----------
    n_estimators : int, default=50
        Trees. 50 keep the site-level fit under a few milliseconds; 100 changes
        scores by a few percent.
    contamination : float, default=0.01
        Share of training hours expected to be anomalous: sets the decision offset.
    clip : float, default=20.0
        Residual scores are clipped to +-clip so one wild hour does not stretch the trees.
    random_state : int or None, default=0
    """

    def __init__(
        self, n_estimators: int = 50, contamination: float = 0.01, clip: float = 20.0, random_state: int | None = 0
    ) -> None:
        self.n_estimators = n_estimators
        self.contamination = contamination
        self.clip = clip
        self.random_state = random_state

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        return np.clip(
            np.nan_to_num(np.asarray(X, dtype=float), nan=0.0, posinf=self.clip, neginf=-self.clip), -self.clip, self.clip
        )

    def fit(self, X, y=None):  # scikit-learn signature
        """Fit on training hours' residual scores, shape (n_hours, n_meters)."""
        X = validate_data(self, self._prepare(X))
        self.forest_ = IsolationForest(
            n_estimators=self.n_estimators, contamination=self.contamination, random_state=self.random_state
        ).fit(X)
        return self

    def score(self, X) -> np.ndarray:
        """Anomaly score of each hour: higher is more anomalous, > 0 an outlier."""
        check_is_fitted(self)
        return -self.forest_.decision_function(validate_data(self, self._prepare(X), reset=False))

    def predict(self, X):
        """1 for inlying hours, -1 for outlying ones (scikit-learn's outlier convention)."""
        return np.where(self.score(X) > 0, -1, 1)

    def decision_function(self, X):
        """scikit-learn's sign: negative for outliers (the opposite of :meth:`score`)."""
        return -self.score(X)
