"""Failed sign-ins are limited per address and per username: 429 problem with Retry-After."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from api.app import create_app
from api.signin_limits import SignInLimiter
from tests.api.conftest import QUIET
from tests.api.seed import assert_problem

LIMITED = replace(QUIET, sign_in_max_failures=3, sign_in_window_s=60.0)
SESSION = "/api/v1/auth/session"


def _client(world, settings, **kwargs) -> TestClient:
    return TestClient(create_app(settings, world.store, world.sessions, LIMITED), raise_server_exceptions=False, **kwargs)


def test_too_many_failures_for_a_user_answer_429_with_retry_after_even_with_the_right_password(world, settings):
    with _client(world, settings) as client:
        for _ in range(3):
            assert_problem(client.post(SESSION, json={"username": "manager", "password": "wrong-password-1"}), 401)
        blocked = client.post(SESSION, json={"username": "manager", "password": world.users["manager"]})
        body = assert_problem(blocked, 429)
        assert body["type"].endswith("too-many-sign-ins")
        assert 1 <= int(blocked.headers["Retry-After"]) <= 60
        assert "set-cookie" not in blocked.headers


def test_one_address_guessing_many_usernames_is_limited_too(world, settings):
    with _client(world, settings, client=("203.0.113.7", 50000)) as client:
        for name in ("nobody-1", "nobody-2", "nobody-3"):
            assert_problem(client.post(SESSION, json={"username": name, "password": "wrong-password-1"}), 401)
        assert_problem(client.post(SESSION, json={"username": "viewer", "password": world.users["viewer"]}), 429)
    with _client(world, settings, client=("198.51.100.9", 50000)) as other:
        # The limiter lives in the app: a new app, a new window; another address is not blocked.
        assert other.post(SESSION, json={"username": "viewer", "password": world.users["viewer"]}).status_code == 201


def test_a_right_password_before_the_limit_clears_that_users_failures(world, settings):
    with _client(world, settings) as client:
        for _ in range(2):
            assert_problem(client.post(SESSION, json={"username": "admin", "password": "wrong-password-1"}), 401)
        assert client.post(SESSION, json={"username": "admin", "password": world.users["admin"]}).status_code == 201
        client.cookies.clear()
        assert_problem(client.post(SESSION, json={"username": "admin", "password": "wrong-password-1"}), 401)
        # Two failures from the address before, one after: the address reaches the limit of 3.
        assert_problem(client.post(SESSION, json={"username": "admin", "password": world.users["admin"]}), 429)


def test_failures_leave_the_window_as_time_passes():
    now = [1000.0]
    limiter = SignInLimiter(max_failures=2, window_s=60.0, clock=lambda: now[0])
    limiter.failed("user:a")
    now[0] += 30
    limiter.failed("user:a")
    assert limiter.retry_after("user:a") == 30
    now[0] += 30.5
    assert limiter.retry_after("user:a") is None
    assert limiter.retry_after("user:someone-else") is None
