"""``kilowatch evaluate --scenario``: realistic by default, classic kept, unknown names refused."""

from __future__ import annotations

import inspect

from typer.testing import CliRunner

from kilowatch.cli import app
from kilowatch.commands.evaluate import evaluate
from kilowatch.evaluation.scenarios import DEFAULT_SCENARIO, SCENARIOS


def test_reported_figures_default_to_the_realistic_scenario_and_classic_is_kept() -> None:
    assert inspect.signature(evaluate).parameters["scenario"].default == DEFAULT_SCENARIO == "realistic"
    assert {"classic", "realistic", "schedule-change"} <= set(SCENARIOS)


def test_an_unknown_scenario_is_refused_with_the_names_it_could_be(tmp_path) -> None:
    result = CliRunner().invoke(app, ["evaluate", "--scenario", "harder", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "classic" in result.output and "realistic" in result.output
