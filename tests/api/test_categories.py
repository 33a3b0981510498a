"""The meter category table is served once, from core, to anyone signed in."""

from __future__ import annotations

from core.categories import CATEGORIES, MeterCategory
from tests.api.seed import as_, assert_problem


def test_every_meter_category_is_served_once_with_its_labels_and_unit(client, world):
    body = client.get("/api/v1/categories", headers=as_(world.keys["viewer"])).json()

    served = {row["code"]: row for row in body["categories"]}
    assert len(served) == len(body["categories"]) == len(MeterCategory)
    assert set(served) == {c.value for c in MeterCategory}
    for code, row in served.items():
        assert row["labels"]["zh"] and row["labels"]["en"]
        assert row["unit"] == ("m3" if code == "gas" else "kWh")


def test_generation_and_gas_are_never_scored_and_carry_no_checks(client, world):
    body = client.get("/api/v1/categories", headers=as_(world.keys["viewer"])).json()
    served = {row["code"]: row for row in body["categories"]}

    assert served["pv"]["generates"] and not served["pv"]["scored"]
    assert not served["gas"]["generates"] and not served["gas"]["scored"]
    assert served["pv"]["checks"] == served["gas"]["checks"] == []
    assert "lights_daylight" in served["corridor_lighting"]["checks"] and served["corridor_lighting"]["scored"]


def test_the_served_table_is_the_core_table_in_its_order(client, world):
    body = client.get("/api/v1/categories", headers=as_(world.keys["manager"])).json()

    assert [(r["code"], r["labels"]["zh"], r["labels"]["en"], r["unit"], tuple(r["checks"])) for r in body["categories"]] == [
        (c.value, row.zh, row.en, row.unit, row.checks) for c, row in CATEGORIES.items()
    ]


def test_categories_need_a_caller(client):
    assert_problem(client.get("/api/v1/categories"), 401)
