"""Sites and the portfolio's carbon ledger are paged like alerts (PostgreSQL); the default page keeps old callers whole."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.options import ApiOptions
from core.settings import Settings
from tests.api.seed import as_, assert_problem

JUNE_1_AND_2 = {"start": "2024-06-01", "end": "2024-06-02"}


@pytest.fixture(scope="module")
def pg(pg_world_per_module, tmp_path_factory):
    world = pg_world_per_module
    app = create_app(
        Settings(data_dir=tmp_path_factory.mktemp("paging")), world.store, world.sessions, ApiOptions(run_outbox=False)
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, as_(world.keys["admin"]), as_(world.keys["viewer"])


def test_sites_come_a_page_at_a_time_by_id(pg):
    client, admin, _ = pg
    first = client.get("/api/v1/sites", params={"limit": 1}, headers=admin).json()
    second = client.get("/api/v1/sites", params={"limit": 1, "offset": 1}, headers=admin).json()
    assert [s["site_id"] for s in first["data"]] == ["bj-b"]
    assert [s["site_id"] for s in second["data"]] == ["sh-a"]
    assert (first["total"], first["limit"], first["offset"]) == (2, 1, 0)
    assert (second["total"], second["offset"]) == (2, 1)


def test_the_default_site_page_holds_every_site(pg):
    client, admin, viewer = pg
    body = client.get("/api/v1/sites", headers=admin).json()
    assert [s["site_id"] for s in body["data"]] == ["bj-b", "sh-a"]
    assert body["total"] == 2 and body["offset"] == 0 and body["limit"] >= 1000
    scoped = client.get("/api/v1/sites", headers=viewer).json()
    assert [s["site_id"] for s in scoped["data"]] == ["sh-a"] and scoped["total"] == 1


def test_a_page_of_the_portfolio_keeps_the_whole_portfolios_totals(pg):
    client, admin, _ = pg
    whole = client.get("/api/v1/carbon", params=JUNE_1_AND_2, headers=admin).json()
    page = client.get("/api/v1/carbon", params={**JUNE_1_AND_2, "limit": 1, "offset": 1}, headers=admin).json()
    assert [s["site_id"] for s in whole["sites"]] == ["bj-b", "sh-a"]
    assert [s["site_id"] for s in page["sites"]] == ["sh-a"]
    assert page["sites"][0] == whole["sites"][1]
    assert page["total"] == whole["total"] and whole["total"]["kwh"] > 0
    assert (page["sites_total"], page["limit"], page["offset"]) == (2, 1, 1)
    assert whole["sites_total"] == 2 and whole["offset"] == 0 and whole["limit"] >= 1000


def test_a_portfolio_page_past_the_end_is_empty_with_the_totals(pg):
    client, admin, _ = pg
    body = client.get("/api/v1/carbon", params={**JUNE_1_AND_2, "offset": 5}, headers=admin).json()
    assert body["sites"] == [] and body["sites_total"] == 2 and body["total"]["kwh"] > 0


def test_the_csv_export_pages_the_same_sites(pg):
    client, admin, _ = pg
    text = client.get("/api/v1/carbon", params={**JUNE_1_AND_2, "limit": 1, "format": "csv"}, headers=admin).text
    scopes = [line.split(",")[0] for line in text.lstrip("\ufeff").splitlines()[1:]]
    assert scopes == ["bj-b", "portfolio"]


@pytest.mark.parametrize("path", ["/api/v1/sites", "/api/v1/carbon"])
def test_a_limit_of_zero_is_a_validation_problem(pg, path):
    client, admin, _ = pg
    assert_problem(client.get(path, params={"limit": 0}, headers=admin), 422)


@pytest.mark.parametrize("path", ["/api/v1/sites", "/api/v1/carbon"])
def test_paging_is_documented(pg, path):
    client, _, _ = pg
    doc = client.get("/api/v1/openapi.json").json()
    params = {p["name"]: p for p in doc["paths"][path]["get"]["parameters"]}
    assert params["limit"]["schema"]["default"] >= 1000 and params["offset"]["schema"]["default"] == 0
