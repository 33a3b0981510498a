"""Alerts name their meter as the gateway announced it, not only by its id."""

from __future__ import annotations

from core.db.tables import MeterRecord
from tests.api.seed import as_


def test_listed_alerts_carry_the_meters_announced_name(client, world):
    data = client.get("/api/v1/alerts", headers=as_(world.keys["admin"])).json()["data"]

    names = {(a["meter_id"], a["meter_name"]) for a in data}
    assert names == {("a-corr", "1号楼走廊"), ("b-corr", "大堂走廊")}


def test_an_alert_and_an_action_on_it_carry_the_meters_name(client, world):
    headers = as_(world.keys["admin"])
    alert_id = world.alerts["a_open_high"]

    detail = client.get(f"/api/v1/alerts/{alert_id}", headers=headers).json()
    acted = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=headers).json()

    assert detail["meter_name"] == acted["meter_name"] == "1号楼走廊"
    assert detail["category"] == "corridor_lighting"


def test_a_meter_without_an_announced_name_gives_null_not_an_empty_string(client, world):
    with world.sessions() as session:
        session.get(MeterRecord, "b-corr").name = ""
        session.commit()

    detail = client.get(f"/api/v1/alerts/{world.alerts['b_open_high']}", headers=as_(world.keys["admin"])).json()

    assert detail["meter_name"] is None
