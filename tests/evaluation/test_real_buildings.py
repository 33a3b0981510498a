"""Detection on real buildings: LEAD1.0's labelled development set, scored by ``kilowatch score``.

The floor is what naive scorers reach on the same data, run by the same command in the same
test: if kilowatch fell back to them, this fails. Labels are by people; most anomalies are
drops (outages, equipment off, metering faults), some are raised levels.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kilowatch.cli import app

DATA = Path(__file__).parents[1] / "fixtures" / "lead_dev" / "lead_dev.csv"
SHA256 = "c81a47bccd0c4a28fff8a3fe8e5e05d94bdd69331ec424801040c42dafde77d4"
ROW = re.compile(r"^\| (\w+) \| (\d+) \| (\d+) \| ([\d.]+) \| ([\d.]+) \| (\d+)/(\d+) \| (\d+)/(\d+) \|", re.M)

runner = CliRunner()


def _figures(tmp_path: Path, scorer: str) -> dict[str, dict[str, float]]:
    result = runner.invoke(
        app,
        [
            "--data-dir",
            str(tmp_path),
            "score",
            str(DATA),
            "--out",
            str(tmp_path / f"{scorer}.csv"),
            "--tz",
            "UTC",
            "--calendar",
            "none",
            "--meter-column",
            "building_id",
            "--value-column",
            "meter_reading",
            "--labels",
            "anomaly",
            "--scorer",
            scorer,
        ],
    )
    assert result.exit_code == 0, result.output
    return {
        m.group(1): {"roc_auc": float(m.group(4)), "correct": int(m.group(8)), "episodes": int(m.group(9))}
        for m in ROW.finditer(result.stdout)
    }


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, float]]]:
    assert hashlib.sha256(DATA.read_bytes()).hexdigest() == SHA256, "the dev set fixture changed"
    tmp = tmp_path_factory.mktemp("lead")
    return {scorer: _figures(tmp, scorer) for scorer in ("kilowatch", "robust_z", "isolation_forest")}


def test_every_dev_building_is_scored(figures: dict) -> None:
    assert set(figures["kilowatch"]) == {"254", "335", "439"}


def test_beats_both_naive_scorers_on_every_dev_building(figures: dict) -> None:
    for building, ours in figures["kilowatch"].items():
        for naive in ("robust_z", "isolation_forest"):
            assert ours["roc_auc"] > figures[naive][building]["roc_auc"], (building, naive)


def test_mean_roc_auc_on_the_dev_set_is_at_least_0_935(figures: dict) -> None:
    # 0.942 at the floor's last raise; the goal is 0.92, the margin keeps a small regression visible
    ours = figures["kilowatch"]
    assert sum(f["roc_auc"] for f in ours.values()) / len(ours) >= 0.935


def test_flagged_episodes_are_mostly_real_anomalies(figures: dict) -> None:
    ours = figures["kilowatch"].values()
    episodes = sum(f["episodes"] for f in ours)
    assert episodes >= 10  # flags something, not a precision of nothing
    assert sum(f["correct"] for f in ours) / episodes >= 0.6  # 29 of 40 at the floor's last raise; goal 0.5
