"""BaseLoadCreep: a steady rise of the closed-hours base load, not noise or a hot spell."""

from __future__ import annotations

import numpy as np

from models.creep import BaseLoadCreep

DAYS = 28
RATED = 50.0


def series(extra_per_day: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    hour = np.arange(DAYS * 24) % 24
    closed = (hour < 8) | (hour >= 20)
    base = np.where(closed, 0.1 * RATED, 0.6 * RATED) * (1 + 0.05 * rng.standard_normal(hour.size))
    return base + np.repeat(extra_per_day, 24), closed


def find(extra: np.ndarray, seed: int = 0):
    detector = BaseLoadCreep()
    kwh, closed = series(extra, seed)
    offset, base = detector.daily_base(kwh[:, None], closed)
    return detector.find(base[:, 0], offset, RATED)


def test_a_ramp_over_two_weeks_is_found_near_its_start() -> None:
    extra = np.concatenate([np.zeros(14), np.linspace(0, 0.25 * RATED, 14)])
    found = find(extra)
    assert found is not None and 12 * 24 <= found.start <= 19 * 24
    assert found.excess.sum() > 0


def test_noise_alone_is_not_a_creep() -> None:
    for seed in range(5):
        assert find(np.zeros(DAYS), seed) is None


def test_a_two_day_hot_spell_is_not_a_creep() -> None:
    extra = np.zeros(DAYS)
    extra[-6:-4] = 0.2 * RATED
    assert find(extra) is None
