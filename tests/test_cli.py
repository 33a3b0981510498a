"""The ``kilowatch`` command: help for every command, keys, helpful errors."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from kilowatch.cli import app

runner = CliRunner()
COMMANDS = [
    "demo",
    "simulate",
    "ingest",
    "detect",
    "serve",
    "migrate",
    "keys",
    "users",
    "import",
    "score",
    "evaluate",
    "deadletters",
    "weather",
]


def test_top_level_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def _helps(command) -> list[tuple[str, str]]:
    """(name, help text) of a click command, its parameters and its subcommands."""
    found = [(command.name, command.help or "")]
    found += [(f"{command.name} {p.name}", getattr(p, "help", None) or "") for p in command.params]
    for sub in getattr(command, "commands", {}).values():
        found += _helps(sub)
    return found


def test_no_help_text_holds_brackets_that_rich_markup_would_swallow():
    # Rich reads "[default: ./data]" as a style tag and prints "Where embedded data lives ."
    import typer.main

    swallowed = [(name, text) for name, text in _helps(typer.main.get_command(app)) if "[" in text and "\\[" not in text]
    assert swallowed == []


def test_a_created_key_is_listed_by_prefix_but_never_in_full(tmp_path):
    created = runner.invoke(
        app, ["--data-dir", str(tmp_path), "keys", "create", "--name", "ops", "--role", "manager", "--site", "site-0001"]
    )
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("kw_")
    listed = runner.invoke(app, ["--data-dir", str(tmp_path), "keys", "list"], terminal_width=200)
    assert listed.exit_code == 0
    assert "ops" in listed.output and "manager" in listed.output and "site-0001" in listed.output
    assert key not in listed.output


def test_an_unknown_role_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "keys", "create", "--name", "x", "--role", "owner"])
    assert result.exit_code != 0
    assert "unknown role" in str(result.output) + str(result.exception)


def test_invalid_settings_exit_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setenv("KILOWATCH_STORE__BACKEND", "cassandra")
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "migrate"])
    assert result.exit_code == 2
    assert "Invalid settings" in result.output


def test_a_weak_configured_admin_key_is_refused_without_being_echoed(tmp_path, monkeypatch):
    monkeypatch.setenv("KILOWATCH_API__ADMIN_KEY", "hunter2pass")
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "migrate"], terminal_width=200)
    assert result.exit_code == 2
    assert "admin_key" in result.output and "token_urlsafe" in result.output
    assert "hunter2pass" not in result.output


def test_a_revoked_key_is_listed_as_revoked_and_no_longer_authenticates(tmp_path):
    from api.security import authenticate
    from core.settings import Settings
    from kilowatch.wiring import open_database

    created = runner.invoke(app, ["--data-dir", str(tmp_path), "keys", "create", "--name", "ops", "--role", "viewer"])
    key = created.output.strip().splitlines()[-1]
    sessions = open_database(Settings(data_dir=tmp_path))
    with sessions() as session:
        key_id = authenticate(session, key).id
    revoked = runner.invoke(app, ["--data-dir", str(tmp_path), "keys", "revoke", str(key_id)], terminal_width=200)
    assert revoked.exit_code == 0, revoked.output
    assert "Revoked key" in revoked.output and key not in revoked.output
    with sessions() as session:
        assert authenticate(session, key) is None
    listed = runner.invoke(app, ["--data-dir", str(tmp_path), "keys", "list"], terminal_width=200)
    assert "yes" in listed.output


def test_revoking_an_unknown_key_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "keys", "revoke", "999"])
    assert result.exit_code != 0
    assert "no API key with id 999" in str(result.output) + str(result.exception)


def test_migrate_brings_the_schema_up_to_date(tmp_path):
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "migrate"])
    assert result.exit_code == 0
    assert "Created the schema" in result.output
    assert (tmp_path / "kilowatch.db").is_file()


def test_database_urls_are_shown_without_their_password():
    from core.settings import Settings
    from kilowatch.wiring import describe_database

    shown = describe_database(Settings(database={"url": "postgresql://kw:s3cret@db:5432/kilowatch"}))
    assert "s3cret" not in shown and shown == "postgresql://kw:***@db:5432/kilowatch"


def test_migrate_on_an_empty_database_says_it_created_the_schema(tmp_path):
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "migrate"], terminal_width=200)
    assert result.exit_code == 0, result.output
    created = re.search(r"Created the schema: (\d+) tables, revision (\w+)\.", result.output)
    assert created, result.output
    assert int(created.group(1)) >= 10
    assert "up to date" not in result.output


def test_migrate_from_an_older_revision_names_both_revisions(tmp_path):
    from core.db.session import create_db_engine, head_revision, migrate

    engine = create_db_engine(f"sqlite:///{tmp_path / 'kilowatch.db'}")
    migrate(engine, "0004")
    engine.dispose()
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "migrate"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert f"Upgraded the schema from revision 0004 to {head_revision()}" in result.output


def test_migrate_twice_says_nothing_changed_the_second_time(tmp_path):
    runner.invoke(app, ["--data-dir", str(tmp_path), "migrate"])
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "migrate"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Schema already up to date" in result.output and "Created" not in result.output


def test_python_dash_m_kilowatch_is_the_same_command_line():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "kilowatch", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert all(command in result.stdout for command in COMMANDS)
