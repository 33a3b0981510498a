"""``ProfileBaseline``: expected hourly kWh of one or many meters, fitted robustly in one solve.

The model is linear in a design built from the features: one level per (hour of day,
working day) cell, one daylight slope per cell (lights dim as the sun rises), and the
remaining feature columns (weather proxies by opening state) entering linearly. Every
meter of a site shares the design, so all of them are fitted by one factorisation and
scored by one gather: fitting a site costs milliseconds and scoring is vectorised.

Robustness comes from pseudo-observations (Huber, then Tukey bisquare): each iteration
replaces an hour's consumption by the prediction plus its clipped residual, so waste and
glitches in the history stop pulling the baseline without any per-meter weighted solve.
"""

from __future__ import annotations

import copy

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

N_CELLS = 48
#: Scales a median absolute deviation to a standard deviation under Gaussian noise.
MAD_TO_SIGMA = 1.4826
#: Huber cut-off (scale units) of the first iterations: convex, so they converge from any start.
HUBER_K = 2.0
#: Ridge on the cell levels: only there to keep the solve defined for cells never seen.
_CELL_RIDGE = 1e-6


def _padded(X: np.ndarray) -> np.ndarray:
    """``X`` with missing hour, workday or daylight columns as zeros (a one-column X is hours only)."""
    return X if X.shape[1] >= 3 else np.hstack([X, np.zeros((X.shape[0], 3 - X.shape[1]))])


def _cells(X: np.ndarray) -> np.ndarray:
    return (np.floor(X[:, 0]).astype(np.int64) % 24) + 24 * (X[:, 1] > 0.5)


def _design(X: np.ndarray) -> np.ndarray:
    X = _padded(X)
    cells = _cells(X)
    rows = np.arange(X.shape[0])
    design = np.zeros((X.shape[0], 2 * N_CELLS + X.shape[1] - 3))
    design[rows, cells] = 1.0
    design[rows, N_CELLS + cells] = X[:, 2]
    design[:, 2 * N_CELLS :] = X[:, 3:]
    return design


def _mad(values: np.ndarray, used: np.ndarray) -> np.ndarray:
    """Per-column 1.4826 x median absolute value of ``values`` where ``used`` (0 for empty columns)."""
    masked = np.where(used, np.abs(values), np.nan)
    if not used.any(axis=0).all():
        masked[:, ~used.any(axis=0)] = 0.0
    with np.errstate(all="ignore"):
        out = MAD_TO_SIGMA * np.nanmedian(masked, axis=0) if masked.size else np.zeros(values.shape[1])
    return np.nan_to_num(out, nan=0.0)


class ProfileBaseline(RegressorMixin, BaseEstimator):
    """Expected hourly consumption from calendar, daylight and weather-proxy features.

    ``X`` columns: hour of day (taken modulo 24), working-day flag (> 0.5), daylight
    fraction, then any further covariates; :data:`models.features.FEATURES` builds them.
    ``y`` may hold one meter (n_samples,) or many (n_samples, n_meters).

    Parameters
    ----------
    daylight_alpha : float, default=1.0
        Ridge penalty of the per-cell daylight slopes. Cells whose daylight never
        varies (noon, midnight) leave their slope at 0; larger values trust daylight less.
    covariate_alpha : float, default=1.0
        Ridge penalty of the linear covariates (weather proxies).
    huber_iter : int, default=4
        Huber pseudo-observation iterations (the convex start).
    bisquare_iter : int, default=6
        Bisquare iterations after them; 0 leaves a Huber fit.
    tuning_constant : float, default=4.685
        Bisquare cut-off in residual scale units (95% efficiency on Gaussian noise).
    scale_floor : float, default=0.05
        Lower bound of ``scale_`` as a share of the mean hourly draw, so a very regular
        meter does not alert on tiny wobbles.
    min_scale : float, default=1e-3
        Absolute lower bound of ``scale_`` (kWh), for meters that are mostly off.

    Attributes
    ----------
    coef_ : ndarray of shape (n_outputs, n_design)
        Cell levels, cell daylight slopes, covariate slopes.
    scale_ : ndarray of shape (n_outputs,)
        Robust residual scale (kWh), floored.
    relative_scale_ : ndarray of shape (n_outputs,)
        Robust residual scale relative to the prediction, for loads whose noise grows with them.
    typical_kwh_ : ndarray of shape (n_outputs,)
        Mean hourly consumption in the training data.
    seen_cells_ : ndarray of shape (n_outputs, 48)
        Which (hour, day kind) cells had training hours; see :meth:`seen`.
    quality_ : list of dict
        Fit quality per output on its inlying training hours: ``cv_rmse``, ``nmbe``,
        ``hours`` and ``outlier_share`` (hours the bisquare gave no weight).
    n_features_in_ : int
        Number of features seen during ``fit``.
    """

    def __init__(
        self,
        daylight_alpha: float = 1.0,
        covariate_alpha: float = 1.0,
        huber_iter: int = 4,
        bisquare_iter: int = 6,
        tuning_constant: float = 4.685,
        scale_floor: float = 0.05,
        min_scale: float = 1e-3,
    ) -> None:
        self.daylight_alpha = daylight_alpha
        self.covariate_alpha = covariate_alpha
        self.huber_iter = huber_iter
        self.bisquare_iter = bisquare_iter
        self.tuning_constant = tuning_constant
        self.scale_floor = scale_floor
        self.min_scale = min_scale

    def __sklearn_tags__(self):  # scikit-learn's Tags
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.regressor_tags.poor_score = False
        return tags

    def fit(self, X, y, sample_weight=None, trusted=None):  # scikit-learn signature
        """Fit the levels, slopes and residual scale of each output.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features >= 3)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,) or like ``y``, default=None
            Hours with weight 0 are ignored (unknown consumption); any positive weight
            counts as 1, because the robust fit sets the weights itself.
        trusted : array-like of bool, shape like ``y``, default=None
            Hours known to be normal (a manager said "not waste"): never down-weighted.

        Returns
        -------
        self : ProfileBaseline
        """
        X, y = validate_data(self, X, y, y_numeric=True, multi_output=True)
        X = _padded(X)
        self._single = y.ndim == 1
        Y = y.reshape(-1, 1) if self._single else y
        used = np.ones(Y.shape, dtype=bool)
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=float)
            if w.shape not in {(Y.shape[0],), Y.shape}:
                raise ValueError(f"sample_weight has shape {w.shape}, expected ({Y.shape[0]},) or {Y.shape}")
            used = np.broadcast_to(w.reshape(-1, 1) if w.ndim == 1 else w, Y.shape) > 0
            if not used.any():
                raise ValueError("every sample_weight is zero: nothing to fit")
        keep = (
            np.zeros(Y.shape, dtype=bool)
            if trusted is None
            else np.broadcast_to(np.asarray(trusted, dtype=bool).reshape(Y.shape[0], -1), Y.shape)
        )
        # One BLAS thread: the matrices are small, and parallelism belongs to detector workers.
        with threadpool_limits(limits=1, user_api="blas"):
            self._fit(X, Y.astype(float), used, keep & used)
        return self

    def _penalty(self, n_covariates: int) -> np.ndarray:
        return np.concatenate(
            [np.full(N_CELLS, _CELL_RIDGE), np.full(N_CELLS, self.daylight_alpha), np.full(n_covariates, self.covariate_alpha)]
        )

    def _fit(self, X: np.ndarray, Y: np.ndarray, used: np.ndarray, trusted: np.ndarray) -> None:
        # Hours no output knows carry no information; dropping them keeps the imputation honest.
        rows = used.any(axis=1)
        if not rows.all():
            X, Y, used, trusted = X[rows], Y[rows], used[rows], trusted[rows]
        design = _design(X)
        factor = cho_factor(design.T @ design + np.diag(self._penalty(X.shape[1] - 3)))
        # The hat operator once: each robust iteration is then one small matrix product.
        solver = cho_solve(factor, design.T)
        n_used = np.maximum(used.sum(axis=0), 1)
        self.typical_kwh_ = np.where(used, np.abs(Y), 0.0).sum(axis=0) / n_used
        floor = np.maximum(self.scale_floor * self.typical_kwh_, self.min_scale)
        pseudo = np.where(used, Y, self._cell_means(_cells(X), Y, used))
        for it in range(self.huber_iter + self.bisquare_iter + 1):
            coef = solver @ pseudo
            predicted = design @ coef
            residual = Y - predicted
            scale = self._scales(residual, predicted, used, floor)
            if it == self.huber_iter + self.bisquare_iter:
                break
            if it < self.huber_iter:
                psi = np.clip(residual, -HUBER_K * scale, HUBER_K * scale)
            else:
                u = residual / (self.tuning_constant * scale)
                psi = np.where(np.abs(u) < 1.0, residual * (1.0 - u**2) ** 2, 0.0)
            pseudo = np.where(used, np.where(trusted, Y, predicted + psi), predicted)
        self.coef_ = self._fill_empty_cells(coef.T.copy(), _cells(X), used)
        self.scale_ = np.maximum(_mad(residual, used), floor)
        busy = used & (predicted > 2.0 * self.scale_)
        rel = _mad(np.divide(residual, predicted, out=np.zeros_like(residual), where=busy), busy)
        self.relative_scale_ = np.where(busy.sum(axis=0) >= 10, rel, 0.0)
        inlier = used & (np.abs(residual) < self.tuning_constant * self.residual_scale(predicted))
        self.quality_ = [
            self._quality(residual[:, j], Y[:, j], inlier[:, j], used[:, j], design.shape[1]) for j in range(Y.shape[1])
        ]

    @staticmethod
    def _cell_means(cells: np.ndarray, Y: np.ndarray, used: np.ndarray) -> np.ndarray:
        """Start values for unknown hours: the output's mean in the same cell (else its overall mean)."""
        sums = np.zeros((N_CELLS, Y.shape[1]))
        counts = np.zeros((N_CELLS, Y.shape[1]))
        np.add.at(sums, cells, np.where(used, Y, 0.0))
        np.add.at(counts, cells, used)
        overall = sums.sum(axis=0) / np.maximum(counts.sum(axis=0), 1)
        means = np.where(counts > 0, sums / np.maximum(counts, 1), overall)
        return means[cells]

    def _scales(self, residual: np.ndarray, predicted: np.ndarray, used: np.ndarray, floor: np.ndarray) -> np.ndarray:
        base = np.maximum(_mad(residual, used), floor)
        busy = used & (predicted > 2.0 * base)
        rel = _mad(np.divide(residual, predicted, out=np.zeros_like(residual), where=busy), busy)
        rel = np.where(busy.sum(axis=0) >= 10, rel, 0.0)
        return np.maximum(base, rel * np.clip(predicted, 0.0, None))

    def _fill_empty_cells(self, coef: np.ndarray, cells: np.ndarray, used: np.ndarray) -> np.ndarray:
        """A cell never seen (no weekend yet) borrows the same hour of the other day kind."""
        self.seen_cells_ = np.zeros((coef.shape[0], N_CELLS), dtype=bool)
        for j in range(coef.shape[0]):
            seen = np.bincount(cells[used[:, j]], minlength=N_CELLS) > 0
            self.seen_cells_[j] = seen
            for cell in np.flatnonzero(~seen):
                twin = (cell + 24) % N_CELLS
                if seen[twin]:
                    coef[j, cell] = coef[j, twin]
                    coef[j, N_CELLS + cell] = coef[j, N_CELLS + twin]
        return coef

    @staticmethod
    def _quality(residual: np.ndarray, y: np.ndarray, inlier: np.ndarray, used: np.ndarray, p: int) -> dict:
        n = int(inlier.sum())
        mean = float(np.mean(y[inlier])) if n else 0.0
        dof = max(n - min(p, n // 2), 1)
        ok = n > 0 and abs(mean) > 1e-9
        return {
            "cv_rmse": round(float(np.sqrt(np.sum(residual[inlier] ** 2) / dof) / abs(mean)), 4) if ok else None,
            "nmbe": round(float(np.sum(residual[inlier]) / (dof * mean)), 4) if ok else None,
            "hours": int(used.sum()),
            "outlier_share": round(1.0 - n / max(int(used.sum()), 1), 4),
        }

    def predict(self, X):  # scikit-learn signature
        """Expected hourly consumption: shape (n_samples,) for one output, else (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = _padded(validate_data(self, X, reset=False))
        cells = _cells(X)
        out = self.coef_[:, cells].T + self.coef_[:, N_CELLS + cells].T * X[:, 2:3] + X[:, 3:] @ self.coef_[:, 2 * N_CELLS :].T
        return out[:, 0] if self._single else out

    def seen(self, X) -> np.ndarray:
        """True where the hour's (hour, day kind) cell had training data; elsewhere the
        prediction is borrowed from the other day kind and should not be judged."""
        check_is_fitted(self)
        X = _padded(validate_data(self, X, reset=False))
        out = self.seen_cells_[:, _cells(X)].T
        return out[:, 0] if self._single else out

    def residual_scale(self, expected: np.ndarray) -> np.ndarray:
        """Scale (kWh) of each hour's residual: the larger of ``scale_`` and ``relative_scale_ x expected``."""
        check_is_fitted(self)
        expected = np.clip(np.asarray(expected, dtype=float), 0.0, None)
        if expected.ndim == 1 and self.coef_.shape[0] == 1:
            return np.maximum(self.scale_[0], self.relative_scale_[0] * expected)
        return np.maximum(self.scale_, self.relative_scale_ * expected)

    def output(self, j: int) -> ProfileBaseline:
        """The fitted single-output baseline of output ``j`` (one meter, to store on its own)."""
        check_is_fitted(self)
        # A shallow copy keeps the parameters without get_params (slow, and a detector
        # borrowing baselines for thousands of meters calls this once per meter).
        one = copy.copy(self)
        for name in ("coef_", "scale_", "relative_scale_", "typical_kwh_", "seen_cells_"):
            setattr(one, name, getattr(self, name)[j : j + 1].copy())
        one.quality_ = [self.quality_[j]]
        one.n_features_in_ = self.n_features_in_
        one._single = True
        return one

    @classmethod
    def stack(cls, baselines: list[ProfileBaseline]) -> ProfileBaseline:
        """One multi-output baseline scoring all of ``baselines`` at once (same features)."""
        if not baselines:
            raise ValueError("nothing to stack")
        out = cls(**baselines[0].get_params())
        for name in ("coef_", "scale_", "relative_scale_", "typical_kwh_", "seen_cells_"):
            setattr(out, name, np.concatenate([getattr(b, name) for b in baselines]))
        out.quality_ = [q for b in baselines for q in b.quality_]
        out.n_features_in_ = baselines[0].n_features_in_
        out._single = False
        return out

    def scaled(self, factor: float) -> ProfileBaseline:
        """A copy predicting ``factor`` times as much (a similar meter's profile for a new one)."""
        if not hasattr(self, "coef_"):
            check_is_fitted(self)  # raises NotFittedError
        # Shallow copies: the products below are new arrays, the rest is never written.
        out = copy.copy(self) if self.coef_.shape[0] == 1 else ProfileBaseline.stack([self])
        out.coef_ = out.coef_ * factor
        out.scale_ = out.scale_ * factor
        out.typical_kwh_ = out.typical_kwh_ * factor
        return out
