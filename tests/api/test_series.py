"""Hourly series for charts: one value per hour, null where nothing was stored."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.api.seed import A_CORR_KWH, T0, as_, assert_problem

PATH = "/api/v1/sites/sh-a/meters/a-corr/series"


@pytest.fixture
def viewer(world):
    return as_(world.keys["viewer"])


def test_series_has_one_point_per_hour_of_the_range(client, viewer):
    body = client.get(PATH, params={"start": "2024-06-01", "end": "2024-06-01"}, headers=viewer).json()

    assert len(body["points"]) == 24
    assert datetime.fromisoformat(body["points"][0]["at"]).timestamp() == T0
    assert {p["value"] for p in body["points"]} == {A_CORR_KWH}
    assert (body["unit"], body["interval_s"]) == ("kWh", 3600)


def test_hours_without_readings_are_null(client, viewer):
    body = client.get(PATH, params={"start": "2024-06-03", "end": "2024-06-03"}, headers=viewer).json()

    assert {p["value"] for p in body["points"]} == {None}


def test_a_range_longer_than_93_days_is_a_422_problem(client, viewer):
    assert_problem(client.get(PATH, params={"start": "2024-01-01", "end": "2024-06-01"}, headers=viewer), 422)


def test_unknown_meter_is_404(client, viewer):
    assert_problem(client.get("/api/v1/sites/sh-a/meters/nope/series", headers=viewer), 404)
