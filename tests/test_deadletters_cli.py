"""``kilowatch deadletters`` lists rejected messages with the same filters as the API."""

from __future__ import annotations

from typer.testing import CliRunner

from core.db.tables import DeadLetterRecord
from core.settings import Settings
from kilowatch.cli import app
from kilowatch.wiring import open_database

runner = CliRunner()
T0 = 1_717_200_000  # 2024-06-01 00:00 UTC


def _seed(tmp_path) -> None:
    sessions = open_database(Settings(data_dir=tmp_path))
    with sessions.begin() as session:
        session.add_all(
            [
                DeadLetterRecord(
                    received_at=T0,
                    kind="malformed_json",
                    topic="kilowatch/v1/site-0002/batch",
                    reason="malformed JSON",
                    payload=b"[oops \x1b[31m",
                ),
                DeadLetterRecord(
                    received_at=T0 + 3600,
                    kind="bad_value",
                    topic="kilowatch/v1/site-0003/m-1/reading",
                    reason="'kwh' is not a number",
                    payload=b'{"kwh": "NaN"}',
                ),
            ]
        )


def _run(tmp_path, *args: str):
    return runner.invoke(app, ["--data-dir", str(tmp_path), "deadletters", *args], terminal_width=250)


def test_lists_rejected_messages_newest_first_with_site_and_escaped_payload(tmp_path):
    _seed(tmp_path)

    result = _run(tmp_path)

    assert result.exit_code == 0, result.output
    assert result.output.index("site-0003") < result.output.index("site-0002")
    assert "[oops \\x1b[31m" in result.output and "\x1b[31m" not in result.output
    assert "2 of 2 rejected messages" in result.output


def test_filters_by_kind_site_and_time(tmp_path):
    _seed(tmp_path)

    assert "1 of 1" in _run(tmp_path, "--kind", "bad_value").output
    by_site = _run(tmp_path, "--site", "site-0002").output
    assert "site-0002" in by_site and "site-0003" not in by_site
    assert "1 of 1" in _run(tmp_path, "--since", "2024-06-01T00:30").output


def test_a_bad_date_is_a_clear_error(tmp_path):
    result = _run(tmp_path, "--since", "yesterday")

    assert result.exit_code == 2
    assert "ISO 8601" in result.output
