"""Data-quality findings are served per site, within scope, newest first."""

from __future__ import annotations

import json

import pytest

from core.db.tables import DataFindingRecord
from tests.api.seed import T0, as_, assert_problem


@pytest.fixture
def findings(world):
    rows = [
        DataFindingRecord(
            site_id="sh-a",
            meter_id="a-corr",
            kind="stale_meter",
            started_at=T0,
            ended_at=None,
            open=True,
            detail=json.dumps({"last_reading_at": T0}),
            source="ingest",
            created_at=T0,
            updated_at=T0,
        ),
        DataFindingRecord(
            site_id="sh-a",
            meter_id="a-gas",
            kind="register_reset",
            started_at=T0 + 3600,
            ended_at=T0 + 7200,
            open=False,
            detail="not json",
            source="ingest",
            created_at=T0,
            updated_at=T0,
        ),
        DataFindingRecord(
            site_id="bj-b",
            meter_id="b-corr",
            kind="gap",
            started_at=T0,
            ended_at=None,
            open=True,
            detail="",
            source="detector",
            created_at=T0,
            updated_at=T0,
        ),
    ]
    with world.sessions() as session:
        session.add_all(rows)
        session.commit()


def test_site_findings_are_listed_newest_first(client, world, findings):
    body = client.get("/api/v1/sites/sh-a/findings", headers=as_(world.keys["viewer"])).json()

    assert [f["kind"] for f in body["data"]] == ["register_reset", "stale_meter"]
    assert body["data"][1]["detail"] == {"last_reading_at": T0}


def test_unparseable_detail_is_served_as_text(client, world, findings):
    body = client.get("/api/v1/sites/sh-a/findings", params={"kind": "register_reset"}, headers=as_(world.keys["viewer"])).json()

    assert body["data"][0]["detail"] == {"text": "not json"}


def test_open_filter_keeps_ongoing_findings(client, world, findings):
    body = client.get("/api/v1/sites/sh-a/findings", params={"open": "true"}, headers=as_(world.keys["viewer"])).json()

    assert [f["kind"] for f in body["data"]] == ["stale_meter"] and body["total"] == 1


def test_findings_of_another_site_are_404(client, world, findings):
    assert_problem(client.get("/api/v1/sites/bj-b/findings", headers=as_(world.keys["viewer"])), 404)
