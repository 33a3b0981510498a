"""``MeterBaseline``: a meter's expected hourly consumption, robust to waste in its history."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.utils.validation import check_is_fitted, validate_data

#: Scales a median absolute deviation to a standard deviation under Gaussian noise.
MAD_TO_SIGMA = 1.4826


class MeterBaseline(RegressorMixin, BaseEstimator):
    """Expected hourly kWh of one meter from calendar and daylight features.

    A gradient-boosted tree ensemble fitted with a robust loss, so hours of waste
    in the training history pull the baseline far less than they would a mean.
    The fitted residual scale turns residuals into comparable scores.

    Parameters
    ----------
    loss : {"absolute_error", "quantile"}, default="absolute_error"
        Loss of the ensemble. ``"absolute_error"`` fits the conditional median;
        ``"quantile"`` fits the ``quantile`` level (a level below 0.5 ignores even
        more of the waste present in the history, at the price of a lower baseline).
    quantile : float, default=0.5
        Level fitted when ``loss="quantile"``; ignored otherwise.
    max_iter : int, default=150
        Boosting iterations.
    learning_rate : float, default=0.1
        Shrinkage of each tree.
    max_leaf_nodes : int, default=15
        Leaves per tree; a day has 24 hours in 3 day kinds, so few leaves suffice.
    min_samples_leaf : int, default=8
        Smallest leaf. Larger values stop a tree from memorising single days
        (and the waste in them); smaller ones follow sharp schedule edges better.
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
        The fitted ensemble.
    scale_ : float
        Robust residual scale (kWh): MAD of the training residuals times 1.4826,
        floored as described above.
    typical_kwh_ : float
        Mean hourly consumption in the training data.
    n_iter_ : int
        Boosting iterations run.
    n_features_in_ : int
        Number of features seen during ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(48).reshape(-1, 1) % 24
    >>> y = np.where(X[:, 0] >= 18, 5.0, 1.0)
    >>> baseline = MeterBaseline(random_state=0).fit(X, y)
    >>> bool(abs(baseline.predict([[20]])[0] - 5.0) < 0.5)
    True
    """

    def __init__(
        self,
        loss: str = "absolute_error",
        quantile: float = 0.5,
        max_iter: int = 150,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 8,
        scale_floor: float = 0.05,
        min_scale: float = 1e-3,
        random_state=None,  # noqa: ANN001 - int, RandomState or None, as in scikit-learn
    ) -> None:
        self.loss = loss
        self.quantile = quantile
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.scale_floor = scale_floor
        self.min_scale = min_scale
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):  # noqa: ANN001, N803 - scikit-learn signature
        """Fit the ensemble and the residual scale.

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
        if self.loss not in ("absolute_error", "quantile"):
            raise ValueError(f"loss must be 'absolute_error' or 'quantile', got {self.loss!r}")
        X, y = validate_data(self, X, y, y_numeric=True)
        self.model_ = HistGradientBoostingRegressor(
            loss=self.loss,
            quantile=self.quantile if self.loss == "quantile" else None,
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            # Early stopping would hold out a random tenth of a short history.
            early_stopping=False,
            random_state=self.random_state,
        ).fit(X, y, sample_weight=sample_weight)
        self.n_iter_ = self.model_.n_iter_
        residuals = y - self.model_.predict(X)
        mad = float(np.median(np.abs(residuals - np.median(residuals))))
        self.typical_kwh_ = float(np.mean(np.abs(y)))
        self.scale_ = max(MAD_TO_SIGMA * mad, self.scale_floor * self.typical_kwh_, self.min_scale)
        return self

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
        return self.model_.predict(X)
