"""``kilowatch deadletters`` lists rejected messages with the same filters as the API."""

from __future__ import annotations

from typer.testing import CliRunner

from core.settings import Settings
from kilowatch.cli import app
from kilowatch.wiring import open_database
from tests.dead_letters import seed_dead_letters

runner = CliRunner()


def _seed(tmp_path) -> None:
    seed_dead_letters(open_database(Settings(data_dir=tmp_path)))


def _run(tmp_path, *args: str):
    return runner.invoke(app, ["--data-dir", str(tmp_path), "deadletters", *args], terminal_width=250)


def test_lists_rejected_messages_newest_first_with_site_and_escaped_payload(tmp_path):
    _seed(tmp_path)

    result = _run(tmp_path)

    assert result.exit_code == 0, result.output
    assert result.output.index("siteX1") < result.output.index("site_1")
    assert "\\x00\ufffd \\x1b[31m" in result.output and "\x1b[31m" not in result.output
    assert "3 of 3 rejected messages" in result.output


def test_filters_by_kind_site_and_time(tmp_path):
    _seed(tmp_path)

    assert "1 of 1" in _run(tmp_path, "--kind", "bad_value").output
    by_site = _run(tmp_path, "--site", "site_1").output
    assert "site_1" in by_site and "siteX1" not in by_site
    assert "2 of 2" in _run(tmp_path, "--since", "2024-05-31T16:01").output


def test_a_bad_date_is_a_clear_error(tmp_path):
    result = _run(tmp_path, "--since", "yesterday")

    assert result.exit_code == 2
    assert "ISO 8601" in result.output
