"""``kilowatch simulate``: options reach the simulator, bad rates are usage errors."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from kilowatch.cli import app

runner = CliRunner()


def test_an_unknown_waste_kind_is_a_usage_error_naming_the_kinds():
    result = runner.invoke(app, ["simulate", "--waste", "lights_on_mars=1"], terminal_width=200)
    assert result.exit_code == 2
    assert "compressed_air_leak" in result.output


def test_a_negative_fault_rate_is_a_usage_error():
    result = runner.invoke(app, ["simulate", "--fault", "spike=-1"], terminal_width=200)
    assert result.exit_code == 2


@pytest.mark.services
def test_a_backfill_with_faults_writes_ground_truth_and_delivery_counts(mosquitto, topic_prefix, tmp_path, monkeypatch):
    monkeypatch.setenv("KILOWATCH_MQTT__TOPIC_PREFIX", topic_prefix)
    truth = tmp_path / "truth"
    result = runner.invoke(app, [
        "--data-dir", str(tmp_path), "simulate", "--sites", "3", "--days", "7", "--start", "2026-06-01", "--seed", "4",
        "--host", mosquitto.host, "--mqtt-port", str(mosquitto.port), "--no-progress",
        "--waste", "pump_night=2", "--fault", "spike=0.2", "--duplicates", "0.05", "--bad-payloads", "0.01",
        "--ground-truth", str(truth),
    ], terminal_width=200)
    assert result.exit_code == 0, result.output
    with (tmp_path / "truth.csv").open(encoding="utf-8") as f:
        kinds = {row["kind"] for row in csv.DictReader(f)}
    assert kinds == {"pump_night", "spike"}
    counts = json.loads((tmp_path / "truth.delivery.json").read_text(encoding="utf-8"))
    assert counts["duplicates"] > 0 and sum(counts["bad"].values()) > 0
