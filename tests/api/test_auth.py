"""Who is asking: every protected route wants a valid key, sent either way, never logged."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import update

from core.db.tables import ApiKeyRecord
from tests.api.seed import as_, assert_problem

PROTECTED = [
    ("GET", "/api/v1/sites"),
    ("GET", "/api/v1/sites/sh-a"),
    ("GET", "/api/v1/alerts"),
    ("GET", "/api/v1/alerts/1"),
    ("POST", "/api/v1/alerts/1/acknowledge"),
    ("POST", "/api/v1/alerts/1/resolve"),
    ("GET", "/api/v1/sites/sh-a/carbon"),
    ("GET", "/api/v1/carbon"),
    ("GET", "/api/v1/sites/sh-a/meters/a-corr/series"),
    ("GET", "/metrics"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_protected_route_without_a_key_is_401_problem(client, method, path):
    response = client.request(method, path)

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_protected_route_with_a_wrong_key_is_401_problem(client, method, path):
    response = client.request(method, path, headers=as_("kw_not-a-real-key-at-all-0123456789"))

    assert_problem(response, 401)


def test_key_is_accepted_as_bearer_token(client, world):
    response = client.get("/api/v1/sites", headers={"Authorization": f"Bearer {world.keys['admin']}"})

    assert response.status_code == 200


def test_key_is_accepted_as_x_api_key_header(client, world):
    response = client.get("/api/v1/sites", headers=as_(world.keys["admin"]))

    assert response.status_code == 200


def test_revoked_key_is_401(client, world):
    with world.sessions() as session:
        session.execute(update(ApiKeyRecord).where(ApiKeyRecord.name == "site A viewer").values(revoked=True))
        session.commit()

    assert_problem(client.get("/api/v1/sites", headers=as_(world.keys["viewer"])), 401)


def test_metrics_are_for_admins_only(client, world):
    assert_problem(client.get("/metrics", headers=as_(world.keys["manager"])), 403)


def test_metrics_serve_prometheus_text_to_an_admin(client, world):
    client.get("/api/v1/health")

    response = client.get("/metrics", headers=as_(world.keys["admin"]))

    assert response.status_code == 200
    assert 'kilowatch_http_requests_total{method="GET",route="/api/v1/health",status="200"}' in response.text


def test_api_keys_never_appear_in_logs(client, world, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "kw_wrong-key-that-must-not-be-logged-either"

    for key in (*world.keys.values(), wrong):
        client.get("/api/v1/alerts", headers=as_(key))
        client.get("/api/v1/sites/sh-a", headers={"Authorization": f"Bearer {key}"})
        client.post(f"/api/v1/alerts/{world.alerts['a_open_high']}/acknowledge", headers=as_(key))

    assert caplog.records, "the access log should have recorded the requests"
    for key in (*world.keys.values(), wrong):
        assert key not in caplog.text
