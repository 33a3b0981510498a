"""Scoring a bare table of hourly readings flags the injected waste and little else."""

from __future__ import annotations

import numpy as np

from models.batch import score_table
from models.multivariate import SiteResidualForest
from tests.models.synthetic import SITE, evening_lights, hours


def table(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grid = hours(21)
    a, b = evening_lights(grid, seed=seed), evening_lights(grid, on_kwh=4.0, seed=seed + 1)
    a[24 * 18 + 10 : 24 * 18 + 14] += 8.0  # lights on 10:00-14:00 on day 18
    return np.concatenate([grid, grid]), np.array(["a"] * grid.size + ["b"] * grid.size), np.concatenate([a, b])


def test_injected_hours_are_flagged_as_one_episode_and_clean_hours_are_not() -> None:
    ts, meter, kwh = table(1)
    result = score_table(ts, meter, kwh, SITE)
    waste = (meter == "a") & (ts >= ts[24 * 18 + 10]) & (ts < ts[24 * 18 + 14])
    assert result.flag[waste].all()
    assert result.flag[~waste].mean() < 0.005
    assert len(set(result.episode[waste].tolist())) == 1
    assert np.all(result.score[waste] > 4.0)


def test_scores_keep_the_order_of_the_input_rows() -> None:
    ts, meter, kwh = table(2)
    order = np.random.default_rng(0).permutation(ts.size)
    shuffled = score_table(ts[order], meter[order], kwh[order], SITE)
    straight = score_table(ts, meter, kwh, SITE)
    assert np.allclose(shuffled.expected, straight.expected[order], equal_nan=True)


def test_the_site_forest_scores_a_joint_anomaly_above_normal_hours() -> None:
    rng = np.random.default_rng(3)
    normal = rng.standard_normal((600, 6))
    odd = np.full((1, 6), 3.0)  # every meter a little high together: no single one alarming
    forest = SiteResidualForest(random_state=0).fit(normal)
    assert forest.score(odd)[0] > np.quantile(forest.score(normal), 0.99)
    assert forest.predict(odd)[0] == -1
