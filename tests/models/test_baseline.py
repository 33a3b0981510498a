"""MeterBaseline learns a meter's normal hourly pattern and is not dragged up by waste."""

from __future__ import annotations

import numpy as np

from models.baseline import MeterBaseline
from tests.models.synthetic import evening_lights, features, hours


def test_fits_a_clean_daily_pattern_within_five_percent_of_peak() -> None:
    train, test = hours(14), hours(2, start=int(hours(15)[-1]) + 3600)
    baseline = MeterBaseline(random_state=0).fit(features(train), evening_lights(train, seed=1))
    truth = evening_lights(test, noise=0.0)
    assert np.max(np.abs(baseline.predict(features(test)) - truth)) < 0.05 * truth.max()


def test_waste_in_the_history_barely_moves_the_baseline() -> None:
    train = hours(14)
    y = evening_lights(train, seed=2)
    wasted = (train >= train[24 * 3 + 9]) & (train < train[24 * 3 + 15])  # lights on 09-15 one day
    y[wasted] += 8.0
    baseline = MeterBaseline(random_state=0).fit(features(train), y)
    day = hours(1, start=int(train[24 * 10]))
    # Without the reweighting the six waste hours would lift those hours by ~8/10 kWh.
    assert np.max(np.abs(baseline.predict(features(day)) - evening_lights(day, noise=0.0))) < 0.3


def test_scale_follows_the_noise_of_the_meter() -> None:
    train = hours(14)
    quiet = MeterBaseline(random_state=0).fit(features(train), evening_lights(train, noise=0.01, seed=3))
    noisy = MeterBaseline(random_state=0).fit(features(train), evening_lights(train, noise=0.10, seed=3))
    assert noisy.relative_scale_ > 3 * quiet.relative_scale_
    peak = np.array([10.0])
    assert noisy.residual_scale(peak)[0] > quiet.residual_scale(peak)[0]


def test_scale_has_a_floor_related_to_the_typical_draw() -> None:
    train = hours(7)
    y = evening_lights(train, noise=0.0)
    baseline = MeterBaseline(scale_floor=0.05, random_state=0).fit(features(train), y)
    assert baseline.scale_ >= 0.05 * y.mean() - 1e-12
