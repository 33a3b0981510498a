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


def test_the_steady_hours_variant_draws_the_same_hours_and_never_changes_them() -> None:
    from simulators import build_portfolio

    portfolio = build_portfolio(4, 3)
    day = 86400
    changing = SCENARIOS["realistic"].realism(portfolio, 0, 28 * day, 49 * day, 3)
    steady = SCENARIOS["realistic-steady-hours"].realism(portfolio, 0, 28 * day, 49 * day, 3)
    for site in portfolio.sites:
        assert steady.hours[site.site_id].periods[0] == changing.hours[site.site_id].periods[0]
        assert steady.hours[site.site_id].changes == () and len(changing.hours[site.site_id].changes) == 1
