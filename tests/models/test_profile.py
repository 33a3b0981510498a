"""ProfileBaseline learns each meter's hourly pattern robustly, many meters in one fit."""

from __future__ import annotations

import numpy as np
from sklearn.utils.estimator_checks import parametrize_with_checks

from models.profile import ProfileBaseline
from tests.models.synthetic import evening_lights, features, hours

# Weights only say which hours are known: a weight of 2 is not a repeated row.
_XFAILS = {"check_sample_weight_equivalence_on_dense_data": "weights mark known hours; the robust fit sets its own"}


@parametrize_with_checks([ProfileBaseline()], expected_failed_checks=lambda _: _XFAILS)
def test_profile_baseline_passes_scikit_learn_estimator_checks(estimator, check) -> None:
    check(estimator)


def test_fits_a_clean_daily_pattern_within_five_percent_of_peak() -> None:
    train, test = hours(14), hours(2, start=int(hours(15)[-1]) + 3600)
    baseline = ProfileBaseline().fit(features(train), evening_lights(train, seed=1))
    truth = evening_lights(test, noise=0.0)
    assert np.max(np.abs(baseline.predict(features(test)) - truth)) < 0.05 * truth.max()


def test_waste_in_the_history_barely_moves_the_baseline() -> None:
    train = hours(14)
    y = evening_lights(train, seed=2)
    for day in (3, 8):  # lights on 09-15 on two working days
        y[24 * day + 9 : 24 * day + 15] += 8.0
    baseline = ProfileBaseline().fit(features(train), y)
    day = hours(1, start=int(train[24 * 10]))
    # A least-squares fit would lift those hours by 8 x 2/10 = 1.6 kWh.
    assert np.max(np.abs(baseline.predict(features(day)) - evening_lights(day, noise=0.0))) < 0.3


def test_trusted_hours_are_learnt_even_when_they_look_like_waste() -> None:
    train = hours(14)
    y = evening_lights(train, seed=3)
    daytime = (np.arange(train.size) % 24 >= 9) & (np.arange(train.size) % 24 < 12)
    y[daytime & (np.arange(train.size) < 24 * 5)] += 8.0  # a new morning schedule on 5 of 14 days
    trusted = daytime & (np.arange(train.size) < 24 * 5)
    plain = ProfileBaseline().fit(features(train), y)
    told = ProfileBaseline().fit(features(train), y, trusted=trusted)
    morning = features(train[24 * 2 + 10 : 24 * 2 + 11])
    assert told.predict(morning)[0] > plain.predict(morning)[0] + 1.0


def test_many_meters_in_one_fit_match_separate_fits() -> None:
    train = hours(10)
    Y = np.column_stack([evening_lights(train, on_kwh=k, seed=int(k)) for k in (5.0, 10.0, 20.0)])
    together = ProfileBaseline().fit(features(train), Y)
    for j in range(3):
        alone = ProfileBaseline().fit(features(train), Y[:, j])
        assert np.allclose(together.output(j).predict(features(train)), alone.predict(features(train)), atol=1e-6)


def test_unknown_hours_are_ignored() -> None:
    train = hours(14)
    y = evening_lights(train, seed=4)
    known = np.ones(train.size)
    known[24 * 4 + 19 : 24 * 4 + 23] = 0.0
    y[known == 0] = 1000.0  # garbage where the hour is unknown
    baseline = ProfileBaseline().fit(features(train), y, sample_weight=known)
    assert baseline.predict(features(train[24 * 4 + 20 : 24 * 4 + 21]))[0] < 11.0


def test_a_day_kind_never_seen_borrows_the_other() -> None:
    train = hours(5)  # Monday to Friday: no weekend in the history
    baseline = ProfileBaseline().fit(features(train), evening_lights(train, seed=5))
    saturday = hours(1, start=int(train[-1]) + 3600)
    assert np.max(np.abs(baseline.predict(features(saturday)) - evening_lights(saturday, noise=0.0))) < 0.5


def test_fit_quality_is_reported_per_meter() -> None:
    train = hours(14)
    quality = ProfileBaseline().fit(features(train), evening_lights(train, noise=0.05, seed=6)).quality_[0]
    assert 0 < quality["cv_rmse"] < 0.2 and abs(quality["nmbe"]) < 0.02 and quality["hours"] == train.size


def test_scale_follows_the_noise_of_the_meter() -> None:
    train = hours(14)
    quiet = ProfileBaseline().fit(features(train), evening_lights(train, noise=0.01, seed=7))
    noisy = ProfileBaseline().fit(features(train), evening_lights(train, noise=0.10, seed=7))
    assert noisy.residual_scale(np.array([10.0]))[0] > 3 * quiet.residual_scale(np.array([10.0]))[0]


def test_a_scaled_profile_predicts_proportionally() -> None:
    train = hours(7)
    baseline = ProfileBaseline().fit(features(train), evening_lights(train, seed=8))
    assert np.allclose(baseline.scaled(2.0).predict(features(train)), 2.0 * baseline.predict(features(train)))


def test_a_meter_known_only_for_the_last_days_of_the_window_learns_its_level() -> None:
    train = hours(28)
    y = evening_lights(train, seed=9)
    known = (np.arange(train.size) >= 24 * 22).astype(float)  # connected six days ago
    baseline = ProfileBaseline().fit(features(train), np.where(known > 0, y, 0.0), sample_weight=known)
    evening = features(train[-4:-3])  # 20:00 on the last day
    assert abs(baseline.predict(evening)[0] - 10.0) < 0.5
