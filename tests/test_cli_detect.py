"""``kilowatch detect --once`` as a person and a script read it: a short summary, ``--json``, ``--since``."""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.timebase import HOME_ZONE as SHANGHAI
from kilowatch.cli import app
from kilowatch.commands.detect import lookback_hours
from tests.models.simulated import registry, simulate

runner = CliRunner()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory (embedded store and database) with two sites and waste on the last day."""
    directory = tmp_path_factory.mktemp("detect-data")
    sim = simulate(directory, n_sites=2, seed=7, days=8, events_per_site_day=3.0)
    sim.store.close()
    registry(directory, sim.portfolio).kw["bind"].dispose()
    return directory


@pytest.fixture
def data_dir(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "data"))


def detect(data_dir: Path, *args: str):
    result = runner.invoke(
        app, ["--data-dir", str(data_dir), "--log-level", "ERROR", "detect", "--once", *args], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    return result


def test_one_pass_prints_a_short_summary_a_person_reads(data_dir):
    output = detect(data_dir).output
    assert "DetectionReport(" not in output
    assert len(output.strip().splitlines()) <= 12, output
    assert "Scanned the last 48 h of data" in output and "--since" in output
    assert "2 sites" in output and "meters scored in" in output
    opened = int(output.split("Alerts: ")[1].split(" opened")[0])
    assert opened > 0
    assert " kWh " in output and "alert #" in output


def test_json_gives_the_counts_and_the_largest_waste_first(data_dir):
    line = detect(data_dir, "--json").output.strip().splitlines()[-1]
    report = json.loads(line)
    assert report["sites_scanned"] == 2 and report["alerts_opened"] > 0
    assert report["lookback_hours"] == 48 and report["elapsed_s"] > 0
    wasted = [a["wasted_kwh"] for a in report["top_waste"]]
    assert wasted and wasted == sorted(wasted, reverse=True)


def test_since_sets_the_lookback_of_that_run(data_dir):
    report = json.loads(detect(data_dir, "--json", "--since", "5d").output.strip().splitlines()[-1])
    assert report["lookback_hours"] == 5 * 24
    assert "Scanned the last 120 h" in detect(data_dir, "--since", "5d").output


def test_a_since_that_is_neither_a_duration_nor_a_date_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "detect", "--once", "--since", "last week"], terminal_width=200)
    assert result.exit_code == 2
    assert "neither a duration" in result.output


@pytest.mark.parametrize(("since", "hours"), [("90m", 2), ("12h", 12), ("7d", 168), ("2w", 336), ("1.5d", 36)])
def test_durations_become_whole_hours(since, hours):
    assert lookback_hours(since, time.time()) == hours


def test_a_date_counts_hours_back_from_now_in_shanghai_time():
    now = datetime(2026, 12, 7, 12, 0, tzinfo=SHANGHAI).timestamp()
    assert lookback_hours("2026-12-01", now) == 6 * 24 + 12
    assert lookback_hours("2026-12-07T03:30:00Z", now) == 1  # 11:30 in Shanghai


def test_a_long_lookback_widens_training_so_baselines_keep_their_days():
    from core.settings import DetectSettings
    from kilowatch.commands.detect import _detect_overrides

    defaults = DetectSettings()
    span_h = defaults.training_days * 24 - defaults.lookback_hours
    widened = _detect_overrides(30 * 24, defaults)
    assert widened["lookback_hours"] == 720
    assert widened["training_days"] * 24 - widened["lookback_hours"] >= span_h
    assert _detect_overrides(24, defaults)["training_days"] == defaults.training_days
