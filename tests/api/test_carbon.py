"""Carbon ledgers: totals are stored energy times the factors the response reports."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.api.seed import A_CORR_KWH, A_GAS_M3, A_PV_KWH, B_CORR_KWH, HOURS, T0, as_, assert_problem

JUNE_1_AND_2 = {"start": "2024-06-01", "end": "2024-06-02"}


@pytest.fixture
def admin(world):
    return as_(world.keys["admin"])


@pytest.fixture
def viewer(world):
    return as_(world.keys["viewer"])


def test_site_totals_are_stored_energy_times_the_reported_factors(client, admin):
    body = client.get("/api/v1/sites/sh-a/carbon", params=JUNE_1_AND_2, headers=admin).json()

    kwh, gas_m3 = HOURS * A_CORR_KWH, HOURS * A_GAS_M3  # 96 kWh and 24 m3 stored over the two days
    grid = HOURS * (A_CORR_KWH - A_PV_KWH)  # PV at the same hours is consumed behind the meter
    expected = grid * body["electricity_factor"]["value"] + gas_m3 * body["gas_factor"]["value"]
    assert (body["kwh"], body["grid_kwh"], body["gas_m3"]) == (kwh, grid, gas_m3)
    assert body["total_kg"] == pytest.approx(expected)


def test_site_ledger_reports_pv_apart_from_consumption(client, admin):
    body = client.get("/api/v1/sites/sh-a/carbon", params=JUNE_1_AND_2, headers=admin).json()

    assert body["pv_kwh"] == HOURS * A_PV_KWH
    assert body["kwh_by_category"] == {"corridor_lighting": HOURS * A_CORR_KWH}


def test_site_ledger_names_the_provincial_factor_with_source_and_year(client, admin):
    factor = client.get("/api/v1/sites/sh-a/carbon", params=JUNE_1_AND_2, headers=admin).json()["electricity_factor"]

    assert factor["region"] == "上海"
    assert factor["unit"] == "kgCO2/kWh"
    assert factor["source"] and 2020 <= factor["year"] <= 2024


def test_a_datetime_range_counts_only_points_inside_it(client, admin):
    params = {"start": "2024-06-01T00:00:00+08:00", "end": "2024-06-01T12:00:00+08:00"}

    body = client.get("/api/v1/sites/sh-a/carbon", params=params, headers=admin).json()

    assert body["kwh"] == 12 * A_CORR_KWH


def test_default_range_starts_at_the_first_stored_point(client, admin):
    body = client.get("/api/v1/sites/sh-a/carbon", headers=admin).json()

    assert datetime.fromisoformat(body["start"]).timestamp() == T0
    assert body["kwh"] == HOURS * A_CORR_KWH


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2024-13-45"},
        {"end": "yesterday"},
        {"start": "2024-06-02", "end": "2024-06-01"},
        # Far dates overflowed the calendar arithmetic into a 500.
        {"start": "2024-01-01", "end": "9999-12-31"},
        {"start": "0001-01-01", "end": "2024-06-01"},
        {"start": "1960-01-01", "end": "2024-06-01"},
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/sites/sh-a/carbon", "/api/v1/carbon"])
def test_bad_dates_are_422_problems(client, admin, params, path):
    assert_problem(client.get(path, params=params, headers=admin), 422)


@pytest.mark.parametrize("path", ["/api/v1/sites/sh-a/carbon", "/api/v1/carbon"])
def test_a_range_too_long_for_its_granularity_is_a_422_problem(client, viewer, path):
    # Forty years of days: megabytes of JSON and seconds of CPU for anyone with a key.
    too_long = client.get(path, params={"start": "1990-01-01", "end": "2029-12-31", "granularity": "day"}, headers=viewer)
    assert_problem(too_long, 422)
    assert "3 years" in too_long.json()["detail"]
    months = client.get(path, params={"start": "1990-01-01", "end": "2029-12-31", "granularity": "month"}, headers=viewer)
    assert months.status_code == 200


def test_portfolio_sums_the_sites_the_key_may_see(client, admin):
    body = client.get("/api/v1/carbon", params=JUNE_1_AND_2, headers=admin).json()

    assert [s["site_id"] for s in body["sites"]] == ["bj-b", "sh-a"]
    assert body["total"]["kwh"] == HOURS * (A_CORR_KWH + B_CORR_KWH)
    assert body["total"]["total_kg"] == pytest.approx(sum(s["total_kg"] for s in body["sites"]))


def test_portfolio_of_a_scoped_key_leaves_other_sites_out(client, world):
    body = client.get("/api/v1/carbon", params=JUNE_1_AND_2, headers=as_(world.keys["viewer"])).json()

    assert [s["site_id"] for s in body["sites"]] == ["sh-a"]
    assert body["total"]["kwh"] == HOURS * A_CORR_KWH
