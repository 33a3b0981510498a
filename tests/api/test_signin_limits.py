"""Failed sign-ins are limited per address and per username: 429 problem with Retry-After."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from fastapi.testclient import TestClient

from api.app import create_app
from api.signin_limits import FILE_NAME, Attempt, SignInLimiter
from tests.api.conftest import QUIET
from tests.api.seed import assert_problem

LIMITED = replace(QUIET, sign_in_max_failures=3, sign_in_window_s=60.0)
SESSION = "/api/v1/auth/session"


def _client(world, settings, **kwargs) -> TestClient:
    return TestClient(create_app(settings, world.store, world.sessions, LIMITED), raise_server_exceptions=False, **kwargs)


def test_too_many_failures_from_an_address_answer_429_with_retry_after_even_with_the_right_password(world, settings):
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
        # Another address is not blocked.
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


def test_failures_leave_the_window_as_time_passes(tmp_path):
    now = [1000.0]
    limiter = SignInLimiter(window_s=60.0, path=tmp_path / FILE_NAME, clock=lambda: now[0])
    assert isinstance(limiter.begin({"user:a": 2}), Attempt)
    now[0] += 30
    assert isinstance(limiter.begin({"user:a": 2}), Attempt)
    assert limiter.begin({"user:a": 2}) == 30
    now[0] += 30.5
    assert isinstance(limiter.begin({"user:a": 2}), Attempt)
    assert isinstance(limiter.begin({"user:someone-else": 2}), Attempt)


def test_a_burst_of_parallel_guesses_is_counted_before_any_password_is_checked(tmp_path):
    # Counting after the (slow) check let 16 parallel wrong guesses all pass a limit of 5.
    limiter = SignInLimiter(window_s=60.0, path=tmp_path / FILE_NAME)
    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(lambda _: limiter.begin({"address:x": 5}), range(16)))
    assert sum(isinstance(o, Attempt) for o in outcomes) == 5
    assert all(isinstance(o, int) and o >= 1 for o in outcomes if not isinstance(o, Attempt))


def test_a_right_password_is_not_counted_as_a_failure(tmp_path):
    limiter = SignInLimiter(window_s=60.0, path=tmp_path / FILE_NAME)
    for _ in range(10):
        attempt = limiter.begin({"address:x": 2, "user:a": 20})
        assert isinstance(attempt, Attempt)
        limiter.forgive(attempt, "user:a")


def test_one_address_cannot_lock_a_user_out_of_another(world, settings):
    with _client(world, settings, client=("203.0.113.7", 50000)) as attacker:
        for _ in range(4):
            attacker.post(SESSION, json={"username": "manager", "password": "wrong-password-1"})
        assert_problem(attacker.post(SESSION, json={"username": "manager", "password": world.users["manager"]}), 429)
        # Same app, same limiter: the manager at their own desk still signs in.
        with TestClient(attacker.app, raise_server_exceptions=False, client=("198.51.100.9", 50000)) as desk:
            assert desk.post(SESSION, json={"username": "manager", "password": world.users["manager"]}).status_code == 201


def test_sign_ins_beyond_the_concurrent_checks_answer_429(world, settings):
    with _client(world, settings) as client:
        checks = client.app.state.sign_in_limiter.checks
        held = [checks.acquire(blocking=False) for _ in range(4)]
        try:
            assert all(held)
            busy = client.post(SESSION, json={"username": "viewer", "password": world.users["viewer"]})
            assert_problem(busy, 429)
            assert busy.headers["Retry-After"] == "1"
        finally:
            for _ in held:
                checks.release()
        # The refused attempt did not count: the viewer signs in at once.
        assert client.post(SESSION, json={"username": "viewer", "password": world.users["viewer"]}).status_code == 201


def test_limiters_on_one_file_share_the_count_and_the_file_is_owner_only(tmp_path):
    # Two workers (or a restarted one) open the same file in the data directory.
    first, second = (SignInLimiter(window_s=60.0, path=tmp_path / FILE_NAME) for _ in range(2))
    assert isinstance(first.begin({"address:x": 2}), Attempt)
    assert isinstance(second.begin({"address:x": 2}), Attempt)
    assert isinstance(first.begin({"address:x": 2}), int)
    assert isinstance(second.begin({"address:x": 2}), int)
    assert (tmp_path / FILE_NAME).stat().st_mode & 0o077 == 0
