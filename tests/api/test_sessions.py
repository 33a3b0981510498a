"""Dashboard sign-in: a cookie session that needs a CSRF token for changes; keys still work."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.app import create_app
from api.passwords import hash_password, verify_password
from core.db.tables import UserRecord, WebSessionRecord
from tests.api.conftest import QUIET
from tests.api.seed import as_, assert_problem, sign_in

ME = "/api/v1/auth/session"


def test_sign_in_sets_an_httponly_samesite_lax_cookie(client, world):
    response = client.post(ME, json={"username": "manager", "password": world.users["manager"]})

    cookie = response.headers["set-cookie"].lower()
    assert response.status_code == 201
    assert "kw_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http in this test


def test_cookie_is_secure_when_served_over_https(world, settings):
    with TestClient(create_app(settings, world.store, world.sessions, QUIET), base_url="https://testserver") as client:
        response = client.post(ME, json={"username": "manager", "password": world.users["manager"]})

    assert "secure" in response.headers["set-cookie"].lower()


def test_cookie_secure_marks_the_cookie_secure_over_plain_http_too(world, settings):
    # Behind a TLS proxy whose headers uvicorn does not trust, requests look like http.
    from dataclasses import replace

    with TestClient(create_app(settings, world.store, world.sessions, replace(QUIET, cookie_secure=True))) as client:
        response = client.post(ME, json={"username": "manager", "password": world.users["manager"]})

    assert response.status_code == 201
    assert "secure" in response.headers["set-cookie"].lower()


def test_signed_in_user_reads_with_the_cookie_alone(client, world):
    sign_in(client, "viewer", world.users["viewer"])

    body = client.get("/api/v1/alerts").json()

    assert {a["site_id"] for a in body["data"]} == {"sh-a"}


def test_session_answers_who_is_signed_in_with_a_fresh_csrf_token(client, world):
    csrf = sign_in(client, "manager", world.users["manager"])

    body = client.get(ME).json()

    assert (body["via"], body["name"], body["role"], body["site_ids"]) == ("user", "manager", "manager", ["sh-a"])
    assert body["csrf_token"] == csrf["X-CSRF-Token"]


def test_change_with_the_cookie_but_no_csrf_token_is_403(client, world):
    sign_in(client, "manager", world.users["manager"])

    response = client.post(f"/api/v1/alerts/{world.alerts['a_open_high']}/acknowledge")

    assert assert_problem(response, 403)["type"].endswith("csrf")


def test_change_with_a_wrong_csrf_token_is_403(client, world):
    sign_in(client, "manager", world.users["manager"])

    response = client.post(f"/api/v1/alerts/{world.alerts['a_open_high']}/acknowledge", headers={"X-CSRF-Token": "guess"})

    assert_problem(response, 403)


def test_change_with_the_cookie_and_its_csrf_token_is_accepted_and_names_the_user(client, world):
    csrf = sign_in(client, "manager", world.users["manager"])

    body = client.post(f"/api/v1/alerts/{world.alerts['a_open_high']}/acknowledge", headers=csrf).json()

    assert body["status"] == "acknowledged"
    assert body["history"][-1]["actor"] == "manager"


def test_api_key_needs_no_csrf_token(client, world):
    response = client.post(f"/api/v1/alerts/{world.alerts['a_open_high']}/acknowledge", headers=as_(world.keys["manager"]))

    assert response.status_code == 200


@pytest.mark.parametrize("username,password", [("manager", "wrong-password-123"), ("nobody", "whatever-password")])
def test_wrong_password_and_unknown_user_get_the_same_401(client, username, password):
    response = client.post(ME, json={"username": username, "password": password})

    body = assert_problem(response, 401)
    assert body["detail"] == "Unknown username or wrong password."
    assert "set-cookie" not in response.headers


def test_disabled_user_cannot_sign_in(client, world):
    with world.sessions() as session:
        session.execute(update(UserRecord).where(UserRecord.username == "manager").values(disabled=True))
        session.commit()

    assert_problem(client.post(ME, json={"username": "manager", "password": world.users["manager"]}), 401)


def test_disabling_a_user_ends_its_open_sessions(client, world):
    sign_in(client, "viewer", world.users["viewer"])
    with world.sessions() as session:
        session.execute(update(UserRecord).where(UserRecord.username == "viewer").values(disabled=True))
        session.commit()

    assert_problem(client.get("/api/v1/alerts"), 401)


def test_sign_out_ends_the_session(client, world):
    csrf = sign_in(client, "viewer", world.users["viewer"])
    token = client.cookies.get("kw_session")

    assert client.delete(ME, headers=csrf).status_code == 204
    client.cookies.set("kw_session", token)  # a stolen copy of the cookie

    assert_problem(client.get("/api/v1/alerts"), 401)


def test_expired_session_is_401(client, world):
    sign_in(client, "viewer", world.users["viewer"])
    with world.sessions() as session:
        session.execute(update(WebSessionRecord).values(expires_at=1))
        session.commit()

    assert_problem(client.get("/api/v1/alerts"), 401)


def test_only_a_hash_of_the_session_token_is_stored(client, world):
    sign_in(client, "viewer", world.users["viewer"])
    token = client.cookies.get("kw_session")

    with world.sessions() as session:
        stored = session.scalars(select(WebSessionRecord.token_hash)).all()
    assert stored and token not in stored and len(stored[0]) == 64


def test_passwords_are_stored_as_salted_argon2id():
    first, second = hash_password("same password 1"), hash_password("same password 1")

    assert first.startswith("$argon2id$") and first != second
    assert verify_password("same password 1", first) and not verify_password("same password 2", first)


def test_malformed_password_hash_never_matches():
    assert not verify_password("anything at all", "md5$abc")
