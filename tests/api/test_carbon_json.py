"""The portfolio route writes plain dicts as JSON; they must be exactly what the documented models say."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter

from api.schemas.carbon import PortfolioCarbonPublic, SiteCarbonPublic
from api.schemas.carbon_json import instant
from tests.api.seed import as_


@pytest.mark.parametrize("granularity", [None, "day", "month"])
def test_the_portfolio_json_is_its_model_serialised(client, world, granularity):
    params = {"start": "2024-05-31", "end": "2024-06-02", **({"granularity": granularity} if granularity else {})}
    response = client.get("/api/v1/carbon", params=params, headers=as_(world.keys["admin"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    # Validation fails on a missing or mistyped field; the dump then shows any value the
    # model would have written differently (datetimes, nulls, key order aside).
    assert PortfolioCarbonPublic.model_validate(body).model_dump(mode="json") == body
    assert body["sites"] and body["sites"][0]["factors"] and body["factors"]
    if granularity:
        assert body["periods"] and any(p["factors"] for p in body["periods"])


def test_site_and_portfolio_agree_on_a_site(client, world):
    admin = as_(world.keys["admin"])
    params = {"start": "2024-06-01", "end": "2024-06-02"}
    portfolio = client.get("/api/v1/carbon", params=params, headers=admin).json()
    site = SiteCarbonPublic.model_validate(client.get("/api/v1/sites/sh-a/carbon", params=params, headers=admin).json())
    [entry] = [s for s in portfolio["sites"] if s["site_id"] == "sh-a"]
    assert entry == site.model_copy(update={"periods": []}).model_dump(mode="json")


def test_instants_are_written_as_the_models_write_them():

    for ts in (0, 1_717_171_200, 4_102_444_799):
        assert instant(ts) == TypeAdapter(datetime).dump_python(datetime.fromtimestamp(ts, UTC), mode="json")
