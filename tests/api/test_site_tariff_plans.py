"""A site's tariff plan (seasons, holiday rates, effective dates) is set and served through the sites API,
and the detector prices with what was stored."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import select

from core.db.tables import SiteRecord
from models.tariff import Tariff
from tests.api.seed import as_, assert_problem

SHARP = 1.2654
PLAN = {
    "calendar": "CN",
    "versions": [
        {
            "from": "2025-01-01",
            "periods": [
                {"name": "valley", "start": "22:00", "end": "08:00", "price": 0.3227},
                {"name": "peak", "start": "08:00", "end": "22:00", "price": 1.0545},
            ],
            "seasons": [
                {
                    "name": "summer",
                    "months": [7, 8],
                    "periods": [{"name": "sharp", "start": "11:00", "end": "13:00", "price": SHARP}],
                }
            ],
            "holidays": {"periods": [{"name": "deep_valley", "start": "10:00", "end": "14:00", "price": 0.21}]},
        },
        {
            "from": "2026-06-01",
            "periods": [{"name": "flat", "start": "00:00", "end": "24:00", "price": 0.7}],
            "seasons": [
                {
                    "name": "summer",
                    "months": [7, 8],
                    "periods": [{"name": "sharp", "start": "11:00", "end": "13:00", "price": 1.4}],
                }
            ],
        },
    ],
}


@pytest.fixture
def admin(world):
    return as_(world.keys["admin"])


def _sent(served: object) -> object:
    """A served plan without the optional keys it serves as null (it can be sent back as it is)."""
    if isinstance(served, dict):
        return {k: _sent(v) for k, v in served.items() if v is not None}
    return [_sent(v) for v in served] if isinstance(served, list) else served


def test_a_plan_set_by_patch_is_served_back_as_sent(client, admin):
    response = client.patch("/api/v1/sites/sh-a", json={"tou_tariff": PLAN}, headers=admin)

    assert response.status_code == 200, response.text
    assert _sent(response.json()["tou_tariff"]) == PLAN
    served = client.get("/api/v1/sites/sh-a", headers=admin).json()["tou_tariff"]
    assert _sent(served) == PLAN
    assert client.patch("/api/v1/sites/sh-a", json={"tou_tariff": served}, headers=admin).status_code == 200


def test_the_list_of_sites_still_answers_with_a_plan_stored(client, admin):
    client.patch("/api/v1/sites/sh-a", json={"tou_tariff": PLAN}, headers=admin)

    response = client.get("/api/v1/sites", headers=admin)

    assert response.status_code == 200
    assert _sent({s["site_id"]: s["tou_tariff"] for s in response.json()["data"]}["sh-a"]) == PLAN


def test_a_new_site_takes_a_plan(client, admin):
    site = {"site_id": "gz-p", "name": "天河广场", "site_type": "mall", "province": "广东", "tou_tariff": PLAN}

    assert client.post("/api/v1/sites", json=site, headers=admin).status_code == 201
    assert _sent(client.get("/api/v1/sites/gz-p", headers=admin).json()["tou_tariff"]) == PLAN


@pytest.mark.parametrize(
    "plan,why",
    [
        ({**PLAN, "versions": PLAN["versions"][::-1]}, "'from' dates must increase"),
        ({"versions": [{**PLAN["versions"][0], "sesons": []}]}, "sesons"),
        ({"versions": [{"periods": [], "seasons": [{"name": "x", "months": [13], "periods": []}]}]}, "months"),
        ({"versions": []}, "versions"),
    ],
)
def test_a_bad_plan_is_a_422_naming_the_field_and_changes_nothing(client, admin, plan, why):
    before = client.get("/api/v1/sites/sh-a", headers=admin).json()["tou_tariff"]

    body = assert_problem(client.patch("/api/v1/sites/sh-a", json={"tou_tariff": plan}, headers=admin), 422)

    assert all(e["loc"][:2] == ["body", "tou_tariff"] for e in body["errors"]), body["errors"]
    assert why in str(body["errors"])
    assert client.get("/api/v1/sites/sh-a", headers=admin).json()["tou_tariff"] == before


def test_a_stored_plan_prices_a_summer_sharp_hour_at_the_plans_rate_as_detection_reads_it(client, admin, world):
    client.patch("/api/v1/sites/sh-a", json={"tou_tariff": PLAN, "tariff_cny_per_kwh": 0.5}, headers=admin)
    # The columns models/detection.py selects, read into Tariff.of as it does.
    with world.sessions() as session:
        flat, tou = session.execute(
            select(SiteRecord.tariff_cny_per_kwh, SiteRecord.tou_tariff).where(SiteRecord.site_id == "sh-a")
        ).one()
    tariff = Tariff.of(flat, tou)
    shanghai = ZoneInfo("Asia/Shanghai")
    hours = [
        int(datetime(*when, tzinfo=shanghai).timestamp())
        for when in [(2025, 7, 15, 11), (2025, 7, 15, 9), (2025, 3, 4, 11), (2026, 7, 15, 12), (2025, 10, 2, 11)]
    ]

    prices = tariff.prices(np.array(hours), "Asia/Shanghai")

    # 尖峰 in July; peak outside the sharp hours; no season in March; the 2026 version's own
    # 尖峰; a National Day holiday's deep valley.
    assert prices.tolist() == [SHARP, 1.0545, 1.0545, 1.4, 0.21]


def test_a_stored_tariff_the_api_cannot_read_leaves_the_list_of_sites_answering(client, admin, world):
    # Written past the API (an older release, a hand edit): served as null, never a 500.
    with world.sessions() as session:
        session.get(SiteRecord, "sh-a").tou_tariff = {"versions": "not a list"}
        session.commit()

    response = client.get("/api/v1/sites", headers=admin)

    assert response.status_code == 200
    assert {s["site_id"]: s["tou_tariff"] for s in response.json()["data"]}["sh-a"] is None
