"""``kilowatch evaluate`` options: the rate syntax of ``kilowatch simulate``, a progress bar over
the detection passes on a terminal only, and --quiet."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from kilowatch.cli import app
from kilowatch.commands.evaluate import DEFAULT_OUT, EXAMPLE_OUT, detection_progress

runner = CliRunner()


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory: pytest.TempPathFactory):
    cwd = tmp_path_factory.mktemp("evaluate")
    # Without --out, from a directory standing for the repository: the default place.
    here = os.getcwd()
    os.chdir(cwd)
    try:
        # Both forms of the rate syntax in one run: the option repeated, and pairs joined by commas.
        result = runner.invoke(
            app,
            [
                "evaluate",
                "--scenario",
                "classic",
                "--sites",
                "1",
                "--weeks",
                "0.5",
                "--history-days",
                "14",
                "--pass-hours",
                "12",
                "--seed",
                "3",
                "--quiet",
                "--waste",
                "pump_night=4",
                "--waste",
                "hvac_after_hours=2,lights_daylight=1",
                "--fault",
                "spike=0.3",
            ],
            terminal_width=200,
        )
    finally:
        os.chdir(here)
    return result, cwd / DEFAULT_OUT


def test_by_default_the_report_goes_where_git_ignores_it_not_over_the_committed_example(quiet_run) -> None:
    result, out = quiet_run
    assert result.exit_code == 0, result.output
    assert (out / "report.md").is_file()
    assert not (out.parent.parent / EXAMPLE_OUT).exists()
    assert f"/{DEFAULT_OUT.parts[0]}/" in (Path(__file__).parents[2] / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_evaluate_takes_rates_repeated_and_comma_joined_as_simulate_does(quiet_run) -> None:
    result, out = quiet_run
    assert result.exit_code == 0, result.output
    setup = next(line for line in (out / "report.md").read_text(encoding="utf-8").splitlines() if line.startswith("Setup:"))
    assert "mix {'pump_night': 4.0, 'hvac_after_hours': 2.0, 'lights_daylight': 1.0}" in setup
    assert "faults {'spike': 0.3}" in setup


def test_quiet_prints_the_summary_only(quiet_run) -> None:
    result, _out = quiet_run
    assert "Simulating" not in result.output and "Detecting" not in result.output
    assert "F1 " in result.output and str(DEFAULT_OUT / "report.md") in result.output.replace("\n", "")


def test_the_old_mix_form_still_works_and_an_unknown_kind_is_named(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["evaluate", "--mix", "pump_night=1,lights_on_mars=2", "--out", str(tmp_path)], terminal_width=200
    )
    assert result.exit_code == 2
    assert "unknown kind 'lights_on_mars'" in result.output and "compressed_air_leak" in result.output


def test_the_progress_bar_shows_on_a_terminal_and_hides_otherwise() -> None:
    terminal = Console(file=io.StringIO(), force_terminal=True)
    pipe = Console(file=io.StringIO(), force_terminal=False)
    assert not detection_progress(terminal, quiet=False).disable
    assert detection_progress(terminal, quiet=True).disable
    assert detection_progress(pipe, quiet=False).disable


def test_the_progress_bar_counts_passes() -> None:
    stream = io.StringIO()
    with detection_progress(Console(file=stream, force_terminal=True, width=100), quiet=False) as progress:
        task = progress.add_task("detect", total=14)
        progress.update(task, completed=7)
        progress.refresh()
    assert "7/14" in stream.getvalue() and "passes" in stream.getvalue()
