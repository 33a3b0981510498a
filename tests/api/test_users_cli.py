"""``kilowatch users``: create with a prompted or piped password, list without hashes, disable."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from api.passwords import verify_password
from core.db.session import create_db_engine, session_factory
from core.db.tables import UserRecord
from kilowatch.cli import app

runner = CliRunner()
PASSWORD = "a-good-long-password"


def _users(tmp_path) -> list[UserRecord]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'kilowatch.db'}")
    with session_factory(engine)() as session:
        users = list(session.scalars(select(UserRecord)))
    engine.dispose()
    return users


def _create(tmp_path, *args: str, password: str = PASSWORD):
    return runner.invoke(app, ["--data-dir", str(tmp_path), "users", "create", *args, "--password-stdin"], input=password + "\n")


def test_created_user_has_an_argon2id_hash_of_the_piped_password(tmp_path):
    result = _create(tmp_path, "--username", "wang.li", "--role", "manager", "--site", "sh-a")

    assert result.exit_code == 0, result.output
    [user] = _users(tmp_path)
    assert (user.username, user.role, user.site_ids) == ("wang.li", "manager", ["sh-a"])
    assert verify_password(PASSWORD, user.password_hash) and PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")


def test_password_is_prompted_twice_when_not_piped(tmp_path):
    result = runner.invoke(
        app, ["--data-dir", str(tmp_path), "users", "create", "--username", "li"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )

    assert result.exit_code == 0, result.output
    assert [u.username for u in _users(tmp_path)] == ["li"]


def test_short_password_is_refused(tmp_path):
    result = _create(tmp_path, "--username", "li", password="short")

    assert result.exit_code == 1 and "at least" in result.output


def test_taken_username_is_refused(tmp_path):
    _create(tmp_path, "--username", "li")

    assert _create(tmp_path, "--username", "li").exit_code == 1


def test_list_shows_users_but_no_hashes(tmp_path):
    _create(tmp_path, "--username", "li", "--role", "viewer", "--site", "sh-a")

    listed = runner.invoke(app, ["--data-dir", str(tmp_path), "users", "list"], terminal_width=200)

    assert "li" in listed.output and "viewer" in listed.output and "argon2" not in listed.output


def test_disable_marks_the_user_disabled(tmp_path):
    _create(tmp_path, "--username", "li")

    result = runner.invoke(app, ["--data-dir", str(tmp_path), "users", "disable", "li"])

    assert result.exit_code == 0 and _users(tmp_path)[0].disabled


def test_disabling_an_unknown_user_is_an_error(tmp_path):
    assert runner.invoke(app, ["--data-dir", str(tmp_path), "users", "disable", "ghost"]).exit_code == 1
