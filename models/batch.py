"""Scoring any table of hourly meter readings, without a registry: the "try it on an export" path.

Each meter's baseline is fitted robustly on the table itself (the bisquare gives waste in
it no weight), all meters of a site in one solve, and every reading gets the score
``(actual - expected) / scale`` (higher is more anomalous) and a flag: part of a
persistent excess episode by the generic check (no category known, so no targeted check).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.domain import Site
from core.timebase import HOUR
from models.features import hour_features
from models.kinds import BASELINE_EXCESS, CHECKS, Check
from models.profile import ProfileBaseline
from models.residual import ResidualDetector

#: Without categories every hour is judged by one check: four scale units for two hours.
#: Stricter than the targeted checks (they know the hours where waste happens); looser
#: than the registry's generic check, because a trial wants to see candidates.
GENERIC = Check("hourly_baseline_residual", 4.0, 2, 0.0, (8.0, 0.0))


@dataclass(frozen=True, slots=True)
class TableScores:
    """Per reading (same order as the input): expected kWh, score, flag and episode number (0: none)."""

    expected: np.ndarray
    score: np.ndarray
    flag: np.ndarray
    episode: np.ndarray


def score_table(ts: np.ndarray, meter: np.ndarray, kwh: np.ndarray, site: Site) -> TableScores:
    """Score hourly readings ``kwh`` of meters ``meter`` at hour starts ``ts`` (epoch s) at ``site``."""
    ts = (np.asarray(ts, dtype=np.int64) // HOUR) * HOUR
    kwh = np.asarray(kwh, dtype=float)
    names, col = np.unique(np.asarray(meter, dtype=str), return_inverse=True)
    grid = np.arange(ts.min(), ts.max() + HOUR, HOUR, dtype=np.int64) if ts.size else np.zeros(0, dtype=np.int64)
    row = ((ts - grid[0]) // HOUR) if ts.size else ts
    matrix = np.full((grid.size, names.size), np.nan)
    matrix[row, col] = kwh
    if grid.size < 48:  # two days: less cannot tell a daily rhythm from an anomaly
        return TableScores(
            np.full(kwh.size, np.nan),
            np.full(kwh.size, np.nan),
            np.zeros(kwh.size, dtype=bool),
            np.zeros(kwh.size, dtype=np.int64),
        )
    X = hour_features(grid, site)
    used = ~np.isnan(matrix)
    fitted = ProfileBaseline().fit(X, np.nan_to_num(matrix), sample_weight=used.astype(float))
    expected = np.clip(fitted.predict(X), 0.0, None)
    scale = fitted.residual_scale(expected)
    scores = ResidualDetector.score(matrix, expected, scale)
    flags = np.zeros(matrix.shape, dtype=bool)
    episodes = np.zeros(matrix.shape, dtype=np.int64)
    detector = ResidualDetector(checks={**CHECKS, BASELINE_EXCESS: GENERIC})
    kinds = np.full(grid.size, BASELINE_EXCESS, dtype=object)
    number = 0
    for j in np.flatnonzero(np.nanmax(np.where(used, scores, -np.inf), axis=0) > GENERIC.threshold):
        for ep in detector.episodes(matrix[:, j], expected[:, j], scale[:, j], kinds):
            number += 1
            flags[ep.start : ep.stop, j] = True
            episodes[ep.start : ep.stop, j] = number
    return TableScores(expected[row, col], scores[row, col], flags[row, col], episodes[row, col])
