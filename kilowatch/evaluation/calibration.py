"""Load-shape statistics of hourly whole-building kWh, to compare the simulator with real buildings.

``python -m kilowatch.evaluation.calibration REAL.csv`` prints the statistics of every
building of a CSV (``building_id,timestamp,meter_reading[,anomaly]``, local hourly
timestamps, kWh per hour) next to those of simulated site totals in the classic and the
realistic scenario (docs/simulator-calibration.md). Only summary statistics are compared:
nothing about a real building's hours, anomalies or labels reaches the simulator.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np

#: The statistics, in print order, with what each says.
STATS = {
    "step_cv": "sd of hour-to-hour change / mean (hour-to-hour variability)",
    "weekday_weekend": "mean daily kWh Monday-Friday / Saturday-Sunday",
    "acf1": "autocorrelation at lag 1 h",
    "acf24": "autocorrelation at lag 24 h",
    "acf168": "autocorrelation at lag 168 h",
    "resid_cv": "sd of the residual from the hour-of-week median of its 4 weeks / mean",
    "resid_acf1": "lag-1 h autocorrelation of that residual (how long noise persists)",
    "day_cv": "sd / mean of daily kWh around its weekday-or-weekend median of its 4 weeks",
}
#: Residuals are taken against the hour-of-week median of blocks of this many days, so that
#: seasons (a year of real data, weeks of simulated) do not read as noise.
BLOCK_DAYS = 28


def _acf(x: np.ndarray, lag: int) -> float:
    a, b = x[:-lag], x[lag:]
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def shape_stats(kwh: np.ndarray, weekday: np.ndarray, hour: np.ndarray) -> dict[str, float]:
    """The STATS of one hourly series: ``weekday`` 0 = Monday .. 6, ``hour`` 0-23 (local), from a midnight."""
    kwh = np.asarray(kwh, dtype=float)
    mean = float(np.nanmean(kwh))
    n_days = kwh.size // 24
    days = np.nanmean(kwh[: n_days * 24].reshape(n_days, 24), axis=1) * 24
    day_weekday = np.asarray(weekday)[: n_days * 24 : 24]
    weekend = day_weekday >= 5
    how = np.asarray(weekday) * 24 + np.asarray(hour)
    resid = np.full(kwh.size, np.nan)
    day_resid = np.full(n_days, np.nan)
    for b0 in range(0, n_days, BLOCK_DAYS):
        h = slice(b0 * 24, min(n_days, b0 + BLOCK_DAYS) * 24)
        for k in np.unique(how[h]):
            cell = np.flatnonzero(how[h] == k) + b0 * 24
            if np.isfinite(kwh[cell]).any():
                resid[cell] = kwh[cell] - np.nanmedian(kwh[cell])
        d = slice(b0, min(n_days, b0 + BLOCK_DAYS))
        for kind in (False, True):
            cell = np.flatnonzero(weekend[d] == kind) + b0
            if np.isfinite(days[cell]).any():
                day_resid[cell] = days[cell] / np.nanmedian(days[cell]) - 1.0
    return {
        "step_cv": float(np.nanstd(np.diff(kwh)) / mean),
        "weekday_weekend": float(np.nanmean(days[~weekend]) / np.nanmean(days[weekend])) if weekend.any() else float("nan"),
        "acf1": _acf(kwh, 1),
        "acf24": _acf(kwh, 24),
        "acf168": _acf(kwh, 168),
        "resid_cv": float(np.nanstd(resid) / mean),
        "resid_acf1": _acf(resid, 1),
        "day_cv": float(np.nanstd(day_resid)),
    }


def real_buildings(path: Path, *, mask_labelled: bool = False) -> dict[str, dict[str, float]]:
    """STATS of each building of a CSV of hourly readings (local time, from a midnight).

    ``mask_labelled``: hours with ``anomaly`` 1 count as missing (outages and metering faults
    are not noise the simulator should copy)."""
    rows: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            value = float(row["meter_reading"])
            if mask_labelled and row.get("anomaly", "0").strip() == "1":
                value = float("nan")
            rows[row["building_id"]].append((datetime.fromisoformat(row["timestamp"]), value))
    out = {}
    for building, series in sorted(rows.items()):
        series.sort()
        start = next(i for i, (ts, _) in enumerate(series) if ts.hour == 0)
        ts = [t for t, _ in series[start:]]
        out[building] = shape_stats(
            np.array([v for _, v in series[start:]]), np.array([t.weekday() for t in ts]), np.array([t.hour for t in ts])
        )
    return out


def simulated_sites(scenario: str, *, sites: int = 8, weeks: int = 8, seed: int = 1) -> dict[str, dict[str, float]]:
    """STATS of each simulated site's hourly total of its consuming electricity meters, without waste."""
    from zoneinfo import ZoneInfo

    from core.domain import GAS_CATEGORIES, GENERATION_CATEGORIES
    from core.timebase import DAY, HOUR
    from kilowatch.evaluation.scenarios import SCENARIOS
    from kilowatch.evaluation.world import DEFAULT_START
    from simulators import build_portfolio, generate

    portfolio = build_portfolio(sites, seed)
    start = int(DEFAULT_START.timestamp())
    end = start + weeks * 7 * DAY
    realism = SCENARIOS[scenario].realism(portfolio, start, start, end, seed)
    gen = generate(portfolio, start, end, waste=[], seed=seed, realism=realism)
    counted = np.array([m.category not in GAS_CATEGORIES | GENERATION_CATEGORIES for m in gen.meters])
    site_of = gen.site_of_meter
    hourly = np.zeros((len(portfolio.sites), (end - start) // HOUR))
    for _ in range(gen.n_steps):
        step = gen.next_step()
        if step.ts == start:
            continue
        keep = counted[step.meters]
        h = (step.ts - 1 - start) // HOUR
        np.add.at(hourly[:, h], site_of[step.meters[keep]], step.power[keep] * gen.step_s / HOUR)
    tz = ZoneInfo(portfolio.sites[0].timezone)
    stamps = [datetime.fromtimestamp(start + HOUR * i, tz) for i in range(hourly.shape[1])]
    weekday = np.array([t.weekday() for t in stamps])
    hour = np.array([t.hour for t in stamps])
    return {f"{s.site_id} {s.site_type.value}": shape_stats(hourly[i], weekday, hour) for i, s in enumerate(portfolio.sites)}


def _table(title: str, stats: dict[str, dict[str, float]]) -> list[str]:
    lines = [f"### {title}", "", "| series | " + " | ".join(STATS) + " |", "|---" * (len(STATS) + 1) + "|"]
    for name, s in stats.items():
        lines.append(f"| {name} | " + " | ".join(f"{s[k]:.2f}" for k in STATS) + " |")
    med = {k: float(np.nanmedian([s[k] for s in stats.values()])) for k in STATS}
    lines.append("| **median** | " + " | ".join(f"**{med[k]:.2f}**" for k in STATS) + " |")
    return lines + [""]


#: The noise constants swept by ``--sweep`` (kilowatch.evaluation.scenarios names them).
SWEEP = {"NOISE_SCALE": (0.7, 1.0), "DAY_SD": (0.03, 0.05), "NOISE_RHO": (0.9, 0.97)}


def sweep() -> list[str]:
    """Medians over the simulated sites of the realistic scenario for every combination of SWEEP."""
    import itertools

    from kilowatch.evaluation import scenarios

    keep = {name: getattr(scenarios, name) for name in SWEEP}
    lines = ["| " + " | ".join(SWEEP) + " | resid_cv | resid_acf1 | day_cv | step_cv |", "|---" * (len(SWEEP) + 4) + "|"]
    try:
        for values in itertools.product(*SWEEP.values()):
            for name, value in zip(SWEEP, values, strict=True):
                setattr(scenarios, name, value)
            stats = simulated_sites("realistic")
            med = [float(np.nanmedian([s[k] for s in stats.values()])) for k in ("resid_cv", "resid_acf1", "day_cv", "step_cv")]
            lines.append("| " + " | ".join(map(str, values)) + " | " + " | ".join(f"{m:.3f}" for m in med) + " |")
    finally:
        for name, value in keep.items():
            setattr(scenarios, name, value)
    return lines


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[1] == "--sweep":
        print("\n".join(sweep()))
        return 0
    if len(argv) != 1:
        print("usage: python -m kilowatch.evaluation.calibration REAL.csv [--sweep]", file=sys.stderr)
        return 2
    lines = _table(f"Real buildings ({Path(argv[0]).name}), every hour", real_buildings(Path(argv[0])))
    lines += _table(
        f"Real buildings ({Path(argv[0]).name}), hours labelled anomalous masked",
        real_buildings(Path(argv[0]), mask_labelled=True),
    )
    for scenario in ("classic", "realistic"):
        lines += _table(
            f"Simulated sites, scenario {scenario} (8 sites, seed 1, 8 weeks from 2025-05-12, no waste)",
            simulated_sites(scenario),
        )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
