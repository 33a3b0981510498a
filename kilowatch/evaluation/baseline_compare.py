"""Which baseline predicts a meter's normal hours best: the profile model or a gradient-boosted
regressor, each with the climate-normal temperature proxy or the site's measured temperature.

``python -m kilowatch.evaluation.baseline_compare --scenario realistic --seed 7``: simulates
a world as ``kilowatch evaluate --weather measured`` does, fits every scored meter on its
history (the training window of the first detection pass) and predicts the evaluation
weeks. Error is measured on the hours of those weeks that hold no injected event on the
meter (its normal), as CV(MAE) = mean |actual - predicted| / mean actual, per meter.
Features are ``models.features``' (the site type's usual opening hours for all models).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

from core.db.weather import temperatures_at
from core.timebase import HOUR
from kilowatch.evaluation.world import build_world
from models.cache import HourlyCache
from models.features import hour_features
from models.kinds import is_scored
from models.profile import ProfileBaseline


def _gbr() -> HistGradientBoostingRegressor:
    # Absolute loss: the history holds waste (realistic scenario), a median is not pulled by it.
    return HistGradientBoostingRegressor(
        loss="absolute_error", max_iter=200, learning_rate=0.1, min_samples_leaf=10, random_state=0
    )


def compare(scenario: str, seed: int, sites: int, weeks: float, history_days: int) -> dict[str, list[float]]:
    """CV(MAE) of each model on each scored meter's normal evaluation hours."""
    with tempfile.TemporaryDirectory() as tmp:
        world = build_world(
            Path(tmp),
            seed=seed,
            sites=sites,
            weeks=weeks,
            history_days=history_days,
            mix=dict.fromkeys(_waste_kinds(), 1.0),
            faults={},
            scenario=scenario,
            weather="measured",
        )
        cache = HourlyCache(world.store)
        busy: dict[str, list[tuple[int, int]]] = {}
        for event, _ in world.events + world.history_events:
            busy.setdefault(event.meter_id, []).append((event.start, event.end))
        errors: dict[str, list[float]] = {name: [] for name in MODELS}
        for site in world.portfolio.sites:
            meters = [m for m in world.portfolio.meters[site.site_id] if is_scored(m.category)]
            hours, _, _ = cache.site(site.site_id, meters, start=world.start, end=world.end, report_from=world.end)
            grid = hours.hours
            with world.sessions() as session:
                measured = temperatures_at(session, site.site_id, grid)
            features = {"proxy": hour_features(grid, site), "measured": hour_features(grid, site, measured=measured)}
            train = grid < world.eval_start
            for meter in meters:
                y = hours.kwh.get(meter.meter_id)
                if y is None:
                    continue
                normal = ~np.isnan(y) & ~train
                for start, end in busy.get(meter.meter_id, []):
                    normal &= ~((grid + HOUR > start) & (grid < end))
                fit_rows = train & ~np.isnan(y)
                if fit_rows.sum() < 24 * 7 or normal.sum() < 24 or np.nanmean(y[normal]) <= 0:
                    continue
                for name, (make, temp) in MODELS.items():
                    X = features[temp]
                    model = make().fit(X[fit_rows], y[fit_rows])
                    predicted = np.clip(model.predict(X[normal]), 0.0, None)
                    errors[name].append(float(np.mean(np.abs(y[normal] - predicted)) / np.mean(y[normal])))
    return errors


def _waste_kinds() -> tuple[str, ...]:
    from simulators import WASTE_KINDS

    return WASTE_KINDS


MODELS = {
    "profile, proxy": (ProfileBaseline, "proxy"),
    "profile, measured": (ProfileBaseline, "measured"),
    "gradient boosting, proxy": (_gbr, "proxy"),
    "gradient boosting, measured": (_gbr, "measured"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="realistic")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sites", type=int, default=5)
    parser.add_argument("--weeks", type=float, default=3.0)
    parser.add_argument("--history-days", type=int, default=28)
    args = parser.parse_args()
    began = time.perf_counter()
    errors = compare(args.scenario, args.seed, args.sites, args.weeks, args.history_days)
    reference = np.array(errors["profile, proxy"])
    print(f"{len(reference)} scored meters, {time.perf_counter() - began:.0f} s")
    print("| baseline | temperature | mean CV(MAE) | median CV(MAE) | meters better than profile+proxy |")
    print("|---|---|---|---|---|")
    for name, values in errors.items():
        v = np.array(values)
        model, temp = name.split(", ")
        print(f"| {model} | {temp} | {v.mean():.3f} | {np.median(v):.3f} | {int((v < reference - 1e-9).sum())} of {v.size} |")


if __name__ == "__main__":
    main()
