"""An administrator reads and sets a site's declared opening hours through the API, under the rules
meta announcements pass; the detector's registry read sees what was set."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.db.registry import load_sites, upsert_site
from core.domain import DeclaredHours
from core.settings import Settings
from tests.api.conftest import QUIET
from tests.api.seed import METERS_A, SITE_A, as_, assert_problem

OFFICE = {"workday": {"open": "08:30", "close": "19:00"}, "other": None}
NEW_SITE = {"site_id": "gz-h", "name": "天河写字楼", "site_type": "office", "province": "广东"}


@pytest.fixture
def admin(world):
    return as_(world.keys["admin"])


def test_a_site_declares_no_hours_until_set(client, admin):
    assert client.get("/api/v1/sites/sh-a", headers=admin).json()["opening_hours"] is None


def test_an_administrator_sets_hours_that_the_detector_then_reads(client, admin, world):
    body = client.patch("/api/v1/sites/sh-a", json={"opening_hours": OFFICE}, headers=admin).json()

    assert body["opening_hours"] == OFFICE
    assert client.get("/api/v1/sites/sh-a", headers=admin).json()["opening_hours"] == OFFICE
    with world.sessions() as session:
        assert load_sites(session)["sh-a"].opening_hours == DeclaredHours((8.5, 19.0), None)


def test_null_withdraws_the_hours(client, admin):
    client.patch("/api/v1/sites/sh-a", json={"opening_hours": OFFICE}, headers=admin)

    body = client.patch("/api/v1/sites/sh-a", json={"opening_hours": None}, headers=admin).json()

    assert body["opening_hours"] is None


def test_a_change_of_other_fields_keeps_the_hours(client, admin):
    client.patch("/api/v1/sites/sh-a", json={"opening_hours": OFFICE}, headers=admin)

    assert client.patch("/api/v1/sites/sh-a", json={"city": "上海"}, headers=admin).json()["opening_hours"] == OFFICE


def test_a_new_site_may_declare_hours(client, admin):
    body = client.post("/api/v1/sites", json={**NEW_SITE, "opening_hours": OFFICE}, headers=admin).json()

    assert body["opening_hours"] == OFFICE


@pytest.mark.parametrize(
    "hours",
    [
        {"workday": {"open": "19:00", "close": "08:00"}, "other": None},
        {"workday": {"open": "08:00", "close": "25:00"}, "other": None},
        {"workday": {"open": "08:10", "close": "19:00"}, "other": None},
        {"workday": {"open": 8, "close": 19}, "other": None},
        {"workday": None},
        {"workday": None, "other": None, "weekend": None},
        "08:00-19:00",
    ],
)
def test_bad_hours_are_refused_and_nothing_else_of_the_change_is_applied(client, admin, hours):
    body = assert_problem(client.patch("/api/v1/sites/sh-a", json={"opening_hours": hours, "city": "杭州"}, headers=admin), 422)

    assert "opening_hours" in str(body["errors"])
    site = client.get("/api/v1/sites/sh-a", headers=admin).json()
    assert site["opening_hours"] is None and site["city"] != "杭州"


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_only_an_administrator_sets_hours(client, world, role):
    assert_problem(client.patch("/api/v1/sites/sh-a", json={"opening_hours": OFFICE}, headers=as_(world.keys[role])), 403)

    assert client.get("/api/v1/sites/sh-a", headers=as_(world.keys["admin"])).json()["opening_hours"] is None


def test_the_document_states_the_hours_shape(client):
    doc = client.get("/api/v1/openapi.json").json()
    window = doc["components"]["schemas"]["OpeningWindow"]

    assert set(window["required"]) == {"open", "close"}
    assert window["properties"]["open"]["pattern"] == window["properties"]["close"]["pattern"]
    assert set(doc["components"]["schemas"]["OpeningHoursBody"]["required"]) == {"workday", "other"}


@pytest.mark.services
def test_hours_set_on_postgresql_read_back(pg_world, tmp_path):
    app = create_app(Settings(data_dir=tmp_path), pg_world.store, pg_world.sessions, QUIET)
    admin = as_(pg_world.keys["admin"])
    with TestClient(app, raise_server_exceptions=False) as client:
        client.patch("/api/v1/sites/sh-a", json={"opening_hours": OFFICE}, headers=admin)
        # The site's gateway announces it again, declaring no hours: the upsert compares the
        # column (JSONB on PostgreSQL, since json has no equality) and leaves it.
        with pg_world.sessions.begin() as session:
            upsert_site(session, dataclasses.replace(SITE_A, name="改名"), METERS_A)
        body = client.get("/api/v1/sites/sh-a", headers=admin).json()
    assert (body["name"], body["opening_hours"]) == ("改名", OFFICE)
    with pg_world.sessions() as session:
        assert load_sites(session)["sh-a"].opening_hours == DeclaredHours((8.5, 19.0), None)
