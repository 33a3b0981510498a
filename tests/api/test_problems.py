"""Every error is a problem document, and a 5xx tells the caller whether to retry."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.store.base import StoreUnavailable
from tests.api.seed import as_, assert_problem


class _FailingStore:
    """Wraps the real store; ``latest`` raises the given error."""

    def __init__(self, store, error: Exception) -> None:
        self._store, self._error = store, error

    def latest(self, **_kwargs):
        raise self._error

    def __getattr__(self, name):
        return getattr(self._store, name)


@pytest.fixture
def failing_client(world, settings, request):
    app = create_app(settings, _FailingStore(world.store, request.param), world.sessions)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_unknown_path_is_a_404_problem(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404)


def test_wrong_method_is_a_405_problem(client, world):
    assert_problem(client.delete("/api/v1/alerts", headers=as_(world.keys["admin"])), 405)


@pytest.mark.parametrize("failing_client", [StoreUnavailable("influx at 10.0.0.5:8086 timed out")], indirect=True)
def test_unreachable_store_is_a_503_problem_asking_to_retry(failing_client, world):
    response = failing_client.get("/api/v1/sites/sh-a", headers=as_(world.keys["admin"]))

    body = assert_problem(response, 503)
    assert response.headers["Retry-After"].isdigit()
    assert "10.0.0.5" not in body["detail"]


@pytest.mark.parametrize("failing_client", [RuntimeError("secret internals")], indirect=True)
def test_unexpected_error_is_a_500_problem_without_internals(failing_client, world):
    response = failing_client.get("/api/v1/sites/sh-a", headers=as_(world.keys["admin"]))

    body = assert_problem(response, 500)
    assert "secret internals" not in response.text and body["type"].endswith("internal")
