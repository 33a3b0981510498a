"""Administrators create and change sites, tariffs and meters; nobody else can."""

from __future__ import annotations

import pytest

from tests.api.seed import as_, assert_problem

NEW_SITE = {
    "site_id": "gz-c",
    "name": "天河广场",
    "site_type": "mall",
    "city": "广州",
    "province": "广东",
    "latitude": 23.13,
    "longitude": 113.32,
    "tariff_cny_per_kwh": 0.78,
}
TOU = [
    {"name": "peak", "start": "08:00", "end": "12:00", "price": 1.2},
    {"name": "flat", "start": "12:00", "end": "23:00", "price": 0.8},
    {"name": "valley", "start": "23:00", "end": "08:00", "price": 0.3},
]


@pytest.fixture
def admin(world):
    return as_(world.keys["admin"])


def test_admin_creates_a_site_with_a_time_of_use_tariff(client, admin):
    response = client.post("/api/v1/sites", json={**NEW_SITE, "tou_tariff": TOU}, headers=admin)

    assert response.status_code == 201
    assert client.get("/api/v1/sites/gz-c", headers=admin).json()["tou_tariff"] == TOU


def test_creating_an_existing_site_is_a_409(client, admin):
    assert_problem(client.post("/api/v1/sites", json={**NEW_SITE, "site_id": "sh-a"}, headers=admin), 409)


@pytest.mark.parametrize(
    "periods,why",
    [
        (TOU[:2], "no period covers 00:00"),
        ([*TOU, {"name": "sharp", "start": "10:00", "end": "11:00", "price": 1.5}], "overlap at 10:00"),
        ([{"name": "x", "start": "25:00", "end": "08:00", "price": 1}], "time of day"),
    ],
)
def test_tariffs_must_cover_the_day_exactly_once(client, admin, periods, why):
    body = assert_problem(client.patch("/api/v1/sites/sh-a", json={"tou_tariff": periods}, headers=admin), 422)

    assert why in str(body["errors"])


def test_a_single_all_day_period_is_a_valid_tariff(client, admin):
    flat = [{"name": "flat", "start": "00:00", "end": "24:00", "price": 0.7}]

    assert client.patch("/api/v1/sites/sh-a", json={"tou_tariff": flat}, headers=admin).status_code == 200


def test_patch_changes_only_the_fields_sent(client, admin):
    body = client.patch("/api/v1/sites/sh-a", json={"tariff_cny_per_kwh": 0.91}, headers=admin).json()

    assert (body["tariff_cny_per_kwh"], body["name"], body["province"]) == (0.91, "徐汇花园", "上海")


def test_null_time_of_use_returns_a_site_to_the_flat_tariff(client, admin):
    client.patch("/api/v1/sites/sh-a", json={"tou_tariff": TOU}, headers=admin)

    body = client.patch("/api/v1/sites/sh-a", json={"tou_tariff": None}, headers=admin).json()

    assert body["tou_tariff"] is None


def test_unknown_time_zone_is_a_422(client, admin):
    assert_problem(client.patch("/api/v1/sites/sh-a", json={"timezone": "Mars/Olympus"}, headers=admin), 422)


def test_admin_adds_and_changes_a_meter(client, admin):
    meter = {"meter_id": "a-lobby", "name": "大堂照明", "category": "lobby_lighting", "rated_kw": 3.0}

    created = client.post("/api/v1/sites/sh-a/meters", json=meter, headers=admin)
    changed = client.patch("/api/v1/sites/sh-a/meters/a-lobby", json={"rated_kw": 3.5}, headers=admin)

    assert created.status_code == 201 and changed.json()["rated_kw"] == 3.5
    meters = client.get("/api/v1/sites/sh-a", headers=admin).json()["meters"]
    assert "a-lobby" in {m["meter_id"] for m in meters}


def test_a_meter_id_taken_at_another_site_is_a_409(client, admin):
    meter = {"meter_id": "b-corr", "category": "corridor_lighting"}

    assert_problem(client.post("/api/v1/sites/sh-a/meters", json=meter, headers=admin), 409)


def test_changing_a_meter_through_the_wrong_site_is_404(client, admin):
    assert_problem(client.patch("/api/v1/sites/sh-a/meters/b-corr", json={"rated_kw": 1}, headers=admin), 404)


def test_manager_may_not_change_its_own_site(client, world):
    assert_problem(client.patch("/api/v1/sites/sh-a", json={"name": "x"}, headers=as_(world.keys["manager"])), 403)


def test_manager_changing_another_site_finds_nothing(client, world):
    assert_problem(client.patch("/api/v1/sites/bj-b", json={"name": "x"}, headers=as_(world.keys["manager"])), 404)


def test_manager_may_not_create_sites(client, world):
    assert_problem(client.post("/api/v1/sites", json=NEW_SITE, headers=as_(world.keys["manager"])), 403)
