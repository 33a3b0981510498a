"""The site and meter bodies are what the OpenAPI document says: null only where it says null, numbers only as numbers."""

from __future__ import annotations

import pytest

from tests.api.seed import as_, assert_problem

NEW_SITE = {
    "site_id": "gz-t",
    "name": "天河广场",
    "site_type": "mall",
    "city": "广州",
    "province": "广东",
    "latitude": 23.13,
    "longitude": 113.32,
}


@pytest.fixture
def admin(world):
    return as_(world.keys["admin"])


def _body(client, path: str, method: str) -> dict:
    """The JSON schema of an operation's request body, references resolved one level."""
    doc = client.get("/api/v1/openapi.json").json()
    ref = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _nullable(prop: dict) -> bool:
    return any(option.get("type") == "null" for option in prop.get("anyOf", []))


@pytest.mark.parametrize("field", ["name", "site_type", "city", "province", "latitude", "longitude", "timezone"])
def test_a_site_field_the_document_says_is_not_nullable_refuses_null(client, admin, field):
    assert not _nullable(_body(client, "/api/v1/sites/{site_id}", "patch")["properties"][field])

    body = assert_problem(client.patch("/api/v1/sites/sh-a", json={field: None}, headers=admin), 422)

    assert field in str(body["errors"])


@pytest.mark.parametrize("field", ["name", "category", "rated_kw"])
def test_a_meter_field_the_document_says_is_not_nullable_refuses_null(client, admin, world, field):
    path = "/api/v1/sites/{site_id}/meters/{meter_id}"
    assert not _nullable(_body(client, path, "patch")["properties"][field])
    meter = client.get("/api/v1/sites/sh-a", headers=admin).json()["meters"][0]["meter_id"]

    body = assert_problem(client.patch(f"/api/v1/sites/sh-a/meters/{meter}", json={field: None}, headers=admin), 422)

    assert field in str(body["errors"])


def test_clearing_a_tariff_with_null_is_documented_and_accepted(client, admin):
    assert _nullable(_body(client, "/api/v1/sites/{site_id}", "patch")["properties"]["tariff_cny_per_kwh"])

    response = client.patch("/api/v1/sites/sh-a", json={"tariff_cny_per_kwh": None}, headers=admin)

    assert response.status_code == 200 and response.json()["tariff_cny_per_kwh"] is None


@pytest.mark.parametrize(
    "field,value", [("longitude", True), ("latitude", None), ("latitude", "23.1"), ("tariff_cny_per_kwh", False)]
)
def test_a_new_site_refuses_a_coordinate_or_price_that_is_not_a_number(client, admin, field, value):
    body = assert_problem(client.post("/api/v1/sites", json={**NEW_SITE, field: value}, headers=admin), 422)

    assert field in str(body["errors"])
    assert client.get("/api/v1/sites/gz-t", headers=admin).status_code == 404


def test_a_meter_refuses_a_boolean_rating(client, admin):
    meter = {"meter_id": "gz-t-m1", "category": "corridor_lighting", "rated_kw": True}

    assert_problem(client.post("/api/v1/sites/sh-a/meters", json=meter, headers=admin), 422)
