"""A query parameter that takes one value, sent twice, is a 422: silently using the last would give a wrong number."""

from __future__ import annotations

import pytest

from tests.api.seed import as_, assert_problem


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/alerts?site_id=sh-a&site_id=bj-b", "site_id"),
        ("/api/v1/alerts?limit=1&limit=2", "limit"),
        ("/api/v1/sites/sh-a/findings?meter_id=a-corr&meter_id=a-gas", "meter_id"),
        ("/api/v1/carbon?start=2024-06-01&start=2024-06-02", "start"),
    ],
)
def test_a_single_valued_parameter_sent_twice_is_a_422(client, world, url, name):
    problem = assert_problem(client.get(url, headers=as_(world.keys["admin"])), 422)

    assert problem["errors"][0]["loc"] == ["query", name]


def test_a_repeatable_parameter_may_repeat(client, world):
    response = client.get("/api/v1/alerts?status=open&status=acknowledged", headers=as_(world.keys["admin"]))

    assert response.status_code == 200
    assert {alert["status"] for alert in response.json()["data"]} == {"open", "acknowledged"}


def test_an_undeclared_parameter_is_still_ignored(client, world):
    assert client.get("/api/v1/alerts?utm=a&utm=b", headers=as_(world.keys["admin"])).status_code == 200
