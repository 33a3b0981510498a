"""Green instruments: admins record and delete them, readers see those of their sites, market-based totals follow."""

from __future__ import annotations

import pytest

from tests.api.seed import A_CORR_KWH, A_PV_KWH, HOURS, as_, assert_problem

JUNE_1_AND_2 = {"start": "2024-06-01", "end": "2024-06-02"}
GEC = {
    "instrument": "gec",
    "mwh": 1,
    "period_start": "2024-06-01",
    "period_end": "2024-06-30",
    "vintage_year": 2024,
    "reference": "GEC-1",
}


def _create(client, key, site="sh-a", body=GEC):
    return client.post(f"/api/v1/sites/{site}/green-instruments", json=body, headers=as_(key))


def test_an_admin_records_a_gec_and_readers_of_the_site_see_it(client, world):
    created = _create(client, world.keys["admin"])
    assert created.status_code == 201, created.text
    listed = client.get("/api/v1/sites/sh-a/green-instruments", headers=as_(world.keys["viewer"])).json()
    assert [(i["id"], i["instrument"], i["mwh"], i["reference"]) for i in listed["data"]] == [
        (created.json()["id"], "gec", 1.0, "GEC-1")
    ]


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_only_admins_record_instruments(client, world, role):
    assert_problem(_create(client, world.keys[role]), 403)


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_a_site_out_of_scope_answers_404_for_every_instrument_route(client, world, role):
    key = world.keys[role]
    assert_problem(client.get("/api/v1/sites/bj-b/green-instruments", headers=as_(key)), 404)
    assert_problem(_create(client, key, site="bj-b"), 404)
    assert_problem(client.delete("/api/v1/sites/bj-b/green-instruments/1", headers=as_(key)), 404)


def test_deleting_an_instrument_removes_it(client, world):
    admin = world.keys["admin"]
    instrument_id = _create(client, admin).json()["id"]
    assert client.delete(f"/api/v1/sites/sh-a/green-instruments/{instrument_id}", headers=as_(admin)).status_code == 204
    assert client.get("/api/v1/sites/sh-a/green-instruments", headers=as_(admin)).json()["total"] == 0
    assert_problem(client.delete(f"/api/v1/sites/sh-a/green-instruments/{instrument_id}", headers=as_(admin)), 404)


def test_an_instrument_cannot_be_deleted_through_another_site(client, world):
    admin = world.keys["admin"]
    instrument_id = _create(client, admin).json()["id"]
    assert_problem(client.delete(f"/api/v1/sites/bj-b/green-instruments/{instrument_id}", headers=as_(admin)), 404)


@pytest.mark.parametrize(
    "change",
    [
        {"mwh": 0},
        {"mwh": 1.5},
        {"instrument": "rec"},
        {"period_end": "2024-05-01"},
        {"period_start": "soon"},
        {"vintage_year": 1900},
    ],
)
def test_invalid_instruments_are_422_problems(client, world, change):
    assert_problem(_create(client, world.keys["admin"], body={**GEC, **change}), 422)


def test_certificates_lower_market_based_scope2_and_leave_location_based_alone(client, world):
    admin = world.keys["admin"]
    before = client.get("/api/v1/sites/sh-a/carbon", params=JUNE_1_AND_2, headers=as_(admin)).json()
    # 48 kWh of grid import on 1-2 June; 0.024 MWh of contract for those two days covers half.
    contract = {**GEC, "instrument": "green_power_contract", "mwh": 0.024, "period_end": "2024-06-02"}
    assert _create(client, admin, body=contract).status_code == 201
    after = client.get("/api/v1/sites/sh-a/carbon", params=JUNE_1_AND_2, headers=as_(admin)).json()

    grid = HOURS * (A_CORR_KWH - A_PV_KWH)
    residual = after["residual_factor"]["value"]
    assert before["scope2_market_kg"] == pytest.approx(grid * residual)
    assert after["certified_kwh"] == pytest.approx(grid / 2)
    assert after["scope2_market_kg"] == pytest.approx(grid / 2 * residual)
    assert after["scope2_location_kg"] == before["scope2_location_kg"]
