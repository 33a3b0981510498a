"""``kilowatch weather import``: a CSV of outdoor temperatures stored per hour, or refused whole by line."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from core.db.registry import upsert_site
from core.db.tables import WeatherRecord
from core.domain import Site, SiteType
from core.settings import Settings
from kilowatch.cli import app
from kilowatch.wiring import open_database

runner = CliRunner()
SITE = Site("site-w", "Plaza W", SiteType.OFFICE, "Shanghai", "Shanghai", 31.2, 121.5)


def _seed(tmp_path):
    sessions = open_database(Settings(data_dir=tmp_path))
    with sessions.begin() as session:
        upsert_site(session, SITE, [])
    return sessions


def _run(tmp_path, *args: str):
    return runner.invoke(app, ["--data-dir", str(tmp_path), "weather", "import", *args], terminal_width=250)


def _rows(sessions):
    with sessions() as session:
        return [tuple(r) for r in session.execute(select(WeatherRecord.hour, WeatherRecord.temp_c).order_by(WeatherRecord.hour))]


def test_imports_hours_of_a_registered_site(tmp_path):
    sessions = _seed(tmp_path)
    (tmp_path / "w.csv").write_text("ts,temp_c\n2024-06-01T00:00:00Z,21.5\n2024-06-01T01:10:00+00:00,19\n")

    result = _run(tmp_path, str(tmp_path / "w.csv"), "--site", SITE.site_id)

    assert result.exit_code == 0, result.output
    assert "2 hours stored" in result.output
    assert _rows(sessions) == [(1717200000, 21.5), (1717203600, 19.0)]


def test_a_bad_line_refuses_the_file_and_names_the_line(tmp_path):
    sessions = _seed(tmp_path)
    (tmp_path / "w.csv").write_text("ts,temp_c\n2024-06-01T00:00:00Z,21.5\n2024-06-01T01:00:00Z,300\n")

    result = _run(tmp_path, str(tmp_path / "w.csv"), "--site", SITE.site_id)

    assert result.exit_code == 1
    assert "w.csv:3: temp_c 300 C is outside -90..70 C" in result.output
    assert _rows(sessions) == []


def test_an_unknown_site_is_a_clear_error(tmp_path):
    _seed(tmp_path)
    (tmp_path / "w.csv").write_text("ts,temp_c\n2024-06-01T00:00:00Z,21.5\n")

    result = _run(tmp_path, str(tmp_path / "w.csv"), "--site", "nowhere")

    assert result.exit_code == 2
    assert "no registered site 'nowhere'" in result.output
