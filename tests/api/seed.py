"""The seeded world of the API tests: two sites in two provinces, meters, points and alerts."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from core.db.tables import AlertRecord
from core.domain import EnergyPoint, Meter, MeterCategory, Site, SiteType

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: 2024-06-01 00:00 in Shanghai: the first stored point of every meter.
T0 = int(datetime(2024, 6, 1, tzinfo=SHANGHAI).timestamp())
HOUR = 3600

SITE_A = Site("sh-a", "徐汇花园", SiteType.RESIDENTIAL, "上海", "上海", 31.19, 121.44)
SITE_B = Site("bj-b", "朝阳大厦", SiteType.OFFICE, "北京", "北京", 39.92, 116.46)
METERS_A = [
    Meter("a-corr", "sh-a", MeterCategory.CORRIDOR_LIGHTING, 4.0, "1号楼走廊"),
    Meter("a-gas", "sh-a", MeterCategory.GAS, 0.0, "锅炉燃气"),
    Meter("a-pv", "sh-a", MeterCategory.PV, 20.0, "屋顶光伏"),
]
METERS_B = [Meter("b-corr", "bj-b", MeterCategory.CORRIDOR_LIGHTING, 6.0, "大堂走廊")]

#: Hourly energy per meter, and for how many hours from T0.
A_CORR_KWH, A_GAS_M3, A_PV_KWH, B_CORR_KWH = 2.0, 0.5, 1.0, 3.0
HOURS = 48


def series_of(meter: Meter, energy: float) -> list[EnergyPoint]:
    return [
        EnergyPoint(meter.site_id, meter.meter_id, meter.category.value, T0 + h * HOUR, energy * (h + 1), energy)
        for h in range(HOURS)
    ]


def alert_row(site_id: str, meter_id: str, *, status: str, severity: str, wasted: float, kind: str, hour: int) -> AlertRecord:
    started = T0 + hour * HOUR
    explanation = {
        "check": kind,
        "actual_kwh": wasted + 4.0,
        "expected_kwh": 4.0,
        "since": started,
        "until": started + 3 * HOUR,
        "text_en": "Corridor lights stayed on after midnight.",
        "text_zh": "走廊照明午夜后仍未关闭。",
    }
    return AlertRecord(
        site_id=site_id,
        meter_id=meter_id,
        category="corridor_lighting",
        kind=kind,
        status=status,
        severity=severity,
        started_at=started,
        ended_at=started + 3 * HOUR,
        ongoing=False,
        actual_kwh=wasted + 4.0,
        expected_kwh=4.0,
        wasted_kwh=wasted,
        cost_cny=wasted * 0.85,
        co2e_kg=wasted * 0.5,
        factor_kg_per_kwh=0.5,
        factor_source="test",
        explanation=json.dumps(explanation),
        created_at=started,
        updated_at=started,
    )


def as_(key: str) -> dict[str, str]:
    """Headers sending ``key`` the way the dashboard does."""
    return {"X-API-Key": key}


def assert_problem(response, status: int) -> dict:
    """The response is an RFC 9457 problem with ``status``; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def sign_in(client, username: str, password: str) -> dict[str, str]:
    """Sign ``client`` in with a session cookie; returns the CSRF header to send on changes."""
    response = client.post("/api/v1/auth/session", json={"username": username, "password": password})
    assert response.status_code == 201, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}
