"""``MeterBaseline``: a meter's expected hourly consumption, robust to waste in its history."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

#: OpenMP threads per fit. A meter's history is a few hundred rows, where thread start-up
#: costs more than it saves (ten times slower on two cores); parallelism belongs to
#: detector workers sharing a portfolio by site.
N_THREADS = 1
#: Scales a median absolute deviation to a standard deviation under Gaussian noise.
MAD_TO_SIGMA = 1.4826


def _mad_sigma(values: np.ndarray) -> float:
    return MAD_TO_SIGMA * float(np.median(np.abs(values - np.median(values)))) if values.size else 0.0


class MeterBaseline(RegressorMixin, BaseEstimator):
    """Expected hourly kWh of one meter from calendar and daylight features.

    A gradient-boosted tree ensemble fitted as a robust M-estimator: after a first
    fit, hours far from it (waste, glitches in the history) get Tukey bisquare
    weights near zero and the ensemble is refitted, so waste in the training data
    barely moves the baseline. (The absolute-error loss would be the obvious robust
    choice, but its zero gradients on meters that are exactly 0 most hours leave
    the trees unsplit: a lighting meter would be predicted off all evening.)

    Parameters
    ----------
    max_iter : int, default=100
        Boosting iterations of each fit.
    learning_rate : float, default=0.1
        Shrinkage of each tree.
    max_leaf_nodes : int, default=15
        Leaves per tree; a day has 24 hours in 3 day kinds, so few leaves suffice.
    min_samples_leaf : int, default=8
        Smallest leaf. Larger values stop a tree from memorising single days
        (and the waste in them); smaller ones follow sharp schedule edges better.
    robust_refits : int, default=1
        Reweighted refits after the first fit; 0 gives a plain least-squares ensemble.
    tuning_constant : float, default=4.685
        Bisquare cut-off in residual scale units: hours beyond it get zero weight.
        4.685 keeps 95% efficiency on Gaussian noise.
    scale_floor : float, default=0.05
        Lower bound of ``scale_`` as a fraction of the meter's mean hourly draw, so
        a meter that is almost perfectly regular does not alert on tiny wobbles.
    min_scale : float, default=1e-3
        Absolute lower bound of ``scale_`` (kWh), for meters that are mostly off.
    random_state : int, RandomState instance or None, default=None
        Seed of the ensemble's binning subsample.

    Attributes
    ----------
    model_ : HistGradientBoostingRegressor
        The final fitted ensemble.
    scale_ : float
        Robust residual scale (kWh): 1.4826 x MAD of the training residuals, floored
        as described above.
    relative_scale_ : float
        Robust scale of residuals relative to the prediction, for loads whose noise
        grows with their level; see :meth:`residual_scale`.
    typical_kwh_ : float
        Mean hourly consumption in the training data.
    n_iter_ : int
        Boosting iterations of the final fit.
    n_features_in_ : int
        Number of features seen during ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(96).reshape(-1, 1) % 24
    >>> y = np.where(X[:, 0] >= 18, 5.0, 0.0)
    >>> baseline = MeterBaseline(random_state=0).fit(X, y)
    >>> bool(abs(baseline.predict([[20]])[0] - 5.0) < 0.5)
    True
    """

    def __init__(
        self,
        max_iter: int = 100,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 8,
        robust_refits: int = 1,
        tuning_constant: float = 4.685,
        scale_floor: float = 0.05,
        min_scale: float = 1e-3,
        random_state=None,  # noqa: ANN001 - int, RandomState or None, as in scikit-learn
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.robust_refits = robust_refits
        self.tuning_constant = tuning_constant
        self.scale_floor = scale_floor
        self.min_scale = min_scale
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):  # noqa: ANN001, N803 - scikit-learn signature
        """Fit the ensemble, reweight away outlying hours, refit, and fit the residual scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Hourly features, e.g. from :func:`models.features.hour_features`.
        y : array-like of shape (n_samples,)
            Hourly consumption (kWh).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the hours.

        Returns
        -------
        self : MeterBaseline
            The fitted baseline.
        """
        X, y = validate_data(self, X, y, y_numeric=True)
        base = np.ones(y.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if base.shape != y.shape:
            raise ValueError(f"sample_weight has shape {base.shape}, expected {y.shape}")
        self.typical_kwh_ = float(np.mean(np.abs(y)))
        floor = max(self.scale_floor * self.typical_kwh_, self.min_scale)
        weights = base
        with threadpool_limits(limits=N_THREADS, user_api="openmp"):
            for refit in range(self.robust_refits + 1):
                self.model_ = self._ensemble().fit(X, y, sample_weight=weights)
                residuals = y - self.model_.predict(X)
                if refit < self.robust_refits:
                    u = residuals / (self.tuning_constant * max(_mad_sigma(residuals[base > 0]), floor))
                    weights = base * np.where(np.abs(u) < 1.0, (1.0 - u**2) ** 2, 0.0)
                    if not np.any(weights > 0):
                        weights = base
            predicted = self.model_.predict(X)
        self.n_iter_ = self.model_.n_iter_
        self.scale_ = max(_mad_sigma(residuals[base > 0]), floor)
        # Relative noise is measured where the meter clearly draws power, so that the
        # many near-zero hours of a lighting meter do not set the scale of its peak.
        busy = (predicted > 2.0 * self.scale_) & (base > 0)
        self.relative_scale_ = _mad_sigma(residuals[busy] / predicted[busy]) if busy.sum() >= 10 else 0.0
        return self

    def _ensemble(self) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            loss="squared_error",
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            # Early stopping would hold out a random tenth of a short history.
            early_stopping=False,
            random_state=self.random_state,
        )

    def predict(self, X):  # noqa: ANN001, N803 - scikit-learn signature
        """Expected hourly consumption (kWh).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Hourly features with the columns used in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Expected consumption of each hour.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        with threadpool_limits(limits=N_THREADS, user_api="openmp"):
            return self.model_.predict(X)

    def residual_scale(self, expected: np.ndarray) -> np.ndarray:
        """Scale (kWh) of an hour's residual given its expected consumption.

        The larger of ``scale_`` and ``relative_scale_ x expected``: meters whose noise
        is a share of their load (pumps, HVAC) get a wider band at their peak.
        """
        check_is_fitted(self)
        return np.maximum(self.scale_, self.relative_scale_ * np.clip(np.asarray(expected, dtype=float), 0.0, None))
