"""Liveness and readiness: open to anyone, readiness reflects the store and database."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from core.store.base import StoreUnavailable
from tests.api.seed import assert_problem


def test_health_answers_without_a_key(client):
    response = client.get("/api/v1/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_ready_when_store_and_database_answer(client):
    response = client.get("/api/v1/ready")

    assert response.status_code == 200
    assert response.json()["checks"] == {"store": "ok", "database": "ok"}


class _DownStore:
    """A store whose backend cannot be reached."""

    def ping(self) -> None:
        raise StoreUnavailable("connection refused")


def test_not_ready_is_a_503_problem_naming_the_store(world, settings):
    app = create_app(settings, _DownStore(), world.sessions)
    with TestClient(app) as client:
        response = client.get("/api/v1/ready")

    body = assert_problem(response, 503)
    assert body["checks"]["store"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert "Retry-After" in response.headers
