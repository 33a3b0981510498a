"""The API serves severity from what is at stake, and filters by the same rule."""

from __future__ import annotations

from core.db.tables import AlertRecord
from tests.api.seed import alert_row, as_


def _add(world, name: str, *, wasted: float, stored: str, hour: int) -> int:
    with world.sessions() as session:
        row: AlertRecord = alert_row("sh-a", "a-corr", status="open", severity=stored, wasted=wasted, kind=name, hour=hour)
        session.add(row)
        session.commit()
        return row.id


def test_a_399_kwh_alert_is_served_above_a_30_kwh_one_whatever_the_detector_labelled_them(client, world):
    # The detector's label follows the waste rate against rated power: the big meter's 399 kWh was
    # "medium" and a small meter's 30 kWh "high". Both ran 3 h at ¥0.85/kWh.
    big = _add(world, "big_plant", wasted=399.0, stored="medium", hour=30)
    small = _add(world, "small_meter", wasted=30.0, stored="high", hour=31)
    headers = as_(world.keys["admin"])

    served = {a["id"]: a["severity"] for a in client.get("/api/v1/alerts", headers=headers).json()["data"]}
    detail = client.get(f"/api/v1/alerts/{big}", headers=headers).json()

    assert (served[big], served[small]) == ("high", "medium")
    assert detail["severity"] == "high"


def test_the_severity_filter_agrees_with_the_served_severity(client, world):
    big = _add(world, "big_plant", wasted=399.0, stored="medium", hour=30)
    headers = as_(world.keys["admin"])

    for level in ("low", "medium", "high"):
        page = client.get("/api/v1/alerts", params={"severity": level, "limit": 500}, headers=headers).json()
        assert {a["severity"] for a in page["data"]} <= {level}
    high = client.get("/api/v1/alerts", params={"severity": "high"}, headers=headers).json()["data"]
    assert [a["id"] for a in high] == [big]
