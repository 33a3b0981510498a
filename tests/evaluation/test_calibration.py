"""Load-shape statistics used to calibrate the simulator against real buildings."""

from __future__ import annotations

import numpy as np

from kilowatch.evaluation.calibration import shape_stats

WEEKS = 8


def _calendar() -> tuple[np.ndarray, np.ndarray]:
    hours = np.arange(WEEKS * 7 * 24)
    return (hours // 24) % 7, hours % 24


def test_weekday_weekend_ratio_and_a_steady_profile_without_noise() -> None:
    weekday, hour = _calendar()
    kwh = np.where(weekday < 5, 2.0, 1.0) * (1.0 + (hour >= 8) * (hour < 18))
    stats = shape_stats(kwh, weekday, hour)
    assert abs(stats["weekday_weekend"] - 2.0) < 1e-9
    assert stats["resid_cv"] == 0.0 and stats["day_cv"] == 0.0
    assert abs(stats["acf168"] - 1.0) < 1e-9


def test_persistent_noise_reads_as_a_high_residual_autocorrelation() -> None:
    weekday, hour = _calendar()
    rng = np.random.default_rng(1)
    white = rng.normal(0.0, 0.1, weekday.size)
    ar = np.zeros(weekday.size)
    for i in range(1, ar.size):
        ar[i] = 0.9 * ar[i - 1] + np.sqrt(1 - 0.81) * white[i]
    base = 10.0 + 5.0 * (hour >= 8) * (hour < 18)
    assert shape_stats(base * (1 + white), weekday, hour)["resid_acf1"] < 0.2
    assert shape_stats(base * (1 + ar), weekday, hour)["resid_acf1"] > 0.7
