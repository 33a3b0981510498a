"""A NUL character anywhere in a request is a 400 problem naming where, on a real PostgreSQL.

PostgreSQL text cannot hold U+0000; before the guard these requests answered 500.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.options import ApiOptions
from core.db.tables import SiteRecord, WebhookRecord
from core.settings import Settings
from tests.api.seed import as_, assert_problem

pytestmark = pytest.mark.services

NEW_SITE = {
    "site_id": "gz-c",
    "name": "天河\u0000广场",
    "site_type": "mall",
    "city": "广州",
    "province": "广东",
    "latitude": 23.13,
    "longitude": 113.32,
    "tariff_cny_per_kwh": 0.78,
}


@pytest.fixture
def pg_world(pg_world_per_module):
    # One database for the module: the refused requests change nothing, the others change little.
    return pg_world_per_module


@pytest.fixture
def pg_client(pg_world, tmp_path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path), pg_world.store, pg_world.sessions, ApiOptions(run_outbox=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "url", "body", "loc"),
    [
        ("GET", "/api/v1/alerts?site_id=a%00b", None, ["query", "site_id"]),
        ("GET", "/api/v1/alerts?status=open&assignee=%00", None, ["query", "assignee"]),
        ("GET", "/api/v1/sites/sh-a/findings?kind=%00", None, ["query", "kind"]),
        ("GET", "/api/v1/sites/sh-a/meters/a%00corr/series", None, ["path"]),
        ("GET", "/api/v1/sites/sh%00a", None, ["path"]),
        ("POST", "/api/v1/sites", NEW_SITE, ["body", "name"]),
        ("PATCH", "/api/v1/sites/sh-a", {"name": "\u0000"}, ["body", "name"]),
        (
            "POST",
            "/api/v1/webhooks",
            {"name": "w", "url": "https://example.com/h", "site_ids": ["sh-a", "x\u0000"]},
            ["body", "site_ids", 1],
        ),
        ("POST", "/api/v1/auth/session", {"username": "admin\u0000", "password": "whatever-123"}, ["body", "username"]),
        ("POST", "/api/v1/auth/session", {"username": "admin", "password": "x", "\u0000": 1}, ["body", "\\u0000"]),
    ],
    ids=[
        "alerts-site",
        "alerts-assignee",
        "findings-kind",
        "series-path",
        "site-path",
        "site-name",
        "site-patch",
        "webhook-list-item",
        "sign-in-username",
        "body-key",
    ],
)
def test_a_nul_character_is_a_400_problem_naming_where(pg_client, pg_world, method, url, body, loc):
    response = pg_client.request(method, url, json=body, headers=as_(pg_world.keys["admin"]))

    problem = assert_problem(response, 400)
    assert problem["type"].endswith("nul-character")
    assert problem["errors"][0]["loc"] == loc


def test_a_refused_body_stores_nothing(pg_client, pg_world):
    pg_client.post("/api/v1/sites", json=NEW_SITE, headers=as_(pg_world.keys["admin"]))

    with pg_world.sessions() as session:
        assert session.get(SiteRecord, "gz-c") is None


def test_the_escaped_text_backslash_u0000_is_ordinary_text(pg_client, pg_world):
    name = "literally \\u0000"
    response = pg_client.post(
        "/api/v1/webhooks", json={"name": name, "url": "https://example.com/h"}, headers=as_(pg_world.keys["admin"])
    )

    assert response.status_code == 201, response.text
    with pg_world.sessions() as session:
        assert session.scalar(select(WebhookRecord.name).where(WebhookRecord.id == response.json()["id"])) == name


def test_a_body_without_nul_passes_through_unchanged(pg_client, pg_world):
    response = pg_client.patch("/api/v1/sites/sh-a", json={"name": "新名字"}, headers=as_(pg_world.keys["admin"]))

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "新名字"
