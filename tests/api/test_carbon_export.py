"""Carbon by period, with completeness and factors; the CSV export carries the same numbers as the JSON."""

from __future__ import annotations

import csv
import io

import pytest

from tests.api.seed import A_CORR_KWH, A_PV_KWH, as_, assert_problem

JUNE_1_AND_2 = {"start": "2024-06-01", "end": "2024-06-02"}


@pytest.fixture
def admin(world):
    return as_(world.keys["admin"])


def _rows(response) -> list[dict]:
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode("utf-8")), "Excel needs the UTF-8 byte-order mark"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_daily_granularity_returns_one_period_per_local_day(client, admin):
    body = client.get("/api/v1/sites/sh-a/carbon", params={**JUNE_1_AND_2, "granularity": "day"}, headers=admin).json()
    assert [p["label"] for p in body["periods"]] == ["2024-06-01", "2024-06-02"]
    assert [p["grid_kwh"] for p in body["periods"]] == [24 * (A_CORR_KWH - A_PV_KWH)] * 2
    assert sum(p["scope2_location_kg"] for p in body["periods"]) == pytest.approx(body["scope2_location_kg"])


def test_hourly_seeded_meters_are_complete_at_their_own_interval(client, admin):
    body = client.get("/api/v1/sites/sh-a/carbon", params=JUNE_1_AND_2, headers=admin).json()
    assert set(body["meter_intervals_s"].values()) == {3600}
    assert body["completeness"] == 1.0


def test_the_ledger_lists_location_residual_and_gas_factors_with_source_and_year(client, admin):
    body = client.get("/api/v1/sites/sh-a/carbon", params=JUNE_1_AND_2, headers=admin).json()
    roles = {u["role"]: u for u in body["factors"]}
    assert roles.keys() == {"scope2_location", "scope2_market_residual", "scope1_gas"}
    assert roles["scope2_location"]["factor"]["region"] == "上海"
    assert roles["scope2_market_residual"]["factor"]["key"] == "elec_avg_co2_excl_market_nonfossil"
    assert all(u["factor"]["source"] and u["reading_years"] == [2024] for u in body["factors"])


def test_site_csv_rows_match_the_json_periods_and_totals(client, admin):
    params = {**JUNE_1_AND_2, "granularity": "day"}
    body = client.get("/api/v1/sites/sh-a/carbon", params=params, headers=admin).json()
    rows = _rows(client.get("/api/v1/sites/sh-a/carbon", params={**params, "format": "csv"}, headers=admin))
    assert [r["period"] for r in rows] == ["2024-06-01", "2024-06-02", "total"]
    for row, expected in zip(rows, [*body["periods"], body], strict=True):
        for column in ("kwh", "grid_kwh", "scope1_kg", "scope2_location_kg", "scope2_market_kg", "total_kg", "completeness"):
            assert float(row[column]) == expected[column], column
    assert "上海" in rows[-1]["factors"]


def test_an_accept_header_of_text_csv_selects_the_csv(client, admin):
    response = client.get("/api/v1/carbon", params=JUNE_1_AND_2, headers={**admin, "Accept": "text/csv"})
    rows = _rows(response)
    assert [r["scope"] for r in rows] == ["bj-b", "sh-a", "portfolio"]
    body = client.get("/api/v1/carbon", params=JUNE_1_AND_2, headers=admin).json()
    assert float(rows[-1]["total_market_kg"]) == body["total"]["total_market_kg"]


def test_portfolio_periods_sum_the_sites(client, admin):
    body = client.get("/api/v1/carbon", params={**JUNE_1_AND_2, "granularity": "month"}, headers=admin).json()
    assert [p["label"] for p in body["periods"]] == ["2024-06"]
    assert body["periods"][0]["total_kg"] == pytest.approx(sum(s["total_kg"] for s in body["sites"]))
    assert body["total"]["completeness"] == 1.0


def test_an_unknown_granularity_is_a_422_problem(client, admin):
    assert_problem(client.get("/api/v1/sites/sh-a/carbon", params={"granularity": "week"}, headers=admin), 422)


def test_a_site_out_of_scope_has_no_csv_either(client, world):
    response = client.get("/api/v1/sites/bj-b/carbon", params={"format": "csv"}, headers=as_(world.keys["viewer"]))
    assert_problem(response, 404)
