"""The API applies the site rules MQTT announcements pass, says where coordinates come from, and
lets only an administrator move a meter between sites."""

from __future__ import annotations

import pytest

from core.geo import capital_of
from tests.api.seed import as_, assert_problem

NO_COORDINATES = {"site_id": "gz-c", "name": "天河广场", "site_type": "mall", "province": "广东省"}


@pytest.fixture
def admin(world):
    return as_(world.keys["admin"])


def test_a_site_created_without_coordinates_sits_at_its_province_capital(client, admin):
    body = client.post("/api/v1/sites", json=NO_COORDINATES, headers=admin).json()

    guangzhou = capital_of("广东")
    assert (body["latitude"], body["longitude"], body["location_source"]) == (
        guangzhou.latitude,
        guangzhou.longitude,
        "province_capital",
    )
    [finding] = client.get("/api/v1/sites/gz-c/findings", headers=admin).json()["data"]
    assert (finding["kind"], finding["meter_id"], finding["open"]) == ("no_coordinates", "", True)


def test_giving_coordinates_later_closes_the_finding(client, admin):
    client.post("/api/v1/sites", json=NO_COORDINATES, headers=admin)

    body = client.patch("/api/v1/sites/gz-c", json={"latitude": 23.13, "longitude": 113.32}, headers=admin).json()

    assert (body["latitude"], body["location_source"]) == (23.13, "given")
    [finding] = client.get("/api/v1/sites/gz-c/findings", headers=admin).json()["data"]
    assert finding["open"] is False


def test_a_site_with_coordinates_says_they_were_given(client, admin):
    assert client.get("/api/v1/sites/sh-a", headers=admin).json()["location_source"] == "given"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"province": "Atlantis"}, "province"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"latitude": 1e308}, "latitude"),
    ],
)
def test_the_api_refuses_what_a_meta_announcement_may_not_carry(client, admin, change, field):
    body = assert_problem(client.patch("/api/v1/sites/sh-a", json=change, headers=admin), 422)
    assert field in str(body["errors"])


def test_an_admin_moves_a_meter_to_another_site(client, admin):
    response = client.patch("/api/v1/sites/sh-a/meters/a-corr", json={"site_id": "bj-b"}, headers=admin)

    assert response.status_code == 200 and response.json()["site_id"] == "bj-b"
    meters = [m["meter_id"] for m in client.get("/api/v1/sites/bj-b", headers=admin).json()["meters"]]
    assert "a-corr" in meters
    assert_problem(client.patch("/api/v1/sites/sh-a/meters/a-corr", json={"rated_kw": 1.0}, headers=admin), 404)


def test_a_manager_cannot_move_a_meter(client, world):
    manager = as_(world.keys["manager"])
    assert_problem(client.patch("/api/v1/sites/sh-a/meters/a-corr", json={"site_id": "bj-b"}, headers=manager), 403)


def test_moving_a_meter_to_an_unknown_site_is_a_404(client, admin):
    assert_problem(client.patch("/api/v1/sites/sh-a/meters/a-corr", json={"site_id": "nowhere"}, headers=admin), 404)
