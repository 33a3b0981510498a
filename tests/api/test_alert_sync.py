"""Alert list filters for a consumer that syncs: `updated_since`, and a `start`/`end` range over the episode (PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.options import ApiOptions
from core.settings import Settings
from tests.api.seed import HOUR, T0, alert_row, as_, assert_problem


def _at(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


@pytest.fixture(scope="module")
def pg(pg_world_per_module, tmp_path_factory):
    world = pg_world_per_module
    app = create_app(
        Settings(data_dir=tmp_path_factory.mktemp("sync")), world.store, world.sessions, ApiOptions(run_outbox=False)
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, world


def _ids(client, world, **params) -> set[int]:
    response = client.get("/api/v1/alerts", params=params, headers=as_(world.keys["admin"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["data"])
    return {a["id"] for a in body["data"]}


def test_updated_since_keeps_alerts_changed_at_or_after_it(pg):
    client, world = pg
    # Seeded alerts were last updated when they started: hours 2, 10, 20 (site A) and 4 (site B).
    assert _ids(client, world, updated_since=_at(T0 + 10 * HOUR)) == {
        world.alerts["a_ack_medium"],
        world.alerts["a_resolved_low"],
    }


def test_updated_since_after_every_change_returns_an_empty_page(pg):
    client, world = pg
    assert _ids(client, world, updated_since=_at(T0 + 100 * HOUR)) == set()
    assert _ids(client, world, updated_since="2100-01-01T00:00:00Z") == set()  # past the 32-bit column: no 500


def test_start_and_end_keep_episodes_overlapping_the_range(pg):
    client, world = pg
    # Episodes last 3 hours: 2-5, 10-13, 20-23 (A) and 4-7 (B). The range 5-11 overlaps 4-7 and 10-13;
    # 2-5 ends exactly at its start, so it does not overlap.
    assert _ids(client, world, start=_at(T0 + 5 * HOUR), end=_at(T0 + 11 * HOUR)) == {
        world.alerts["b_open_high"],
        world.alerts["a_ack_medium"],
    }
    assert _ids(client, world, start=_at(T0 + 21 * HOUR)) == {world.alerts["a_resolved_low"]}
    assert _ids(client, world, end=_at(T0 + 3 * HOUR)) == {world.alerts["a_open_high"]}


def test_an_end_not_after_start_overlaps_nothing(pg):
    client, world = pg
    assert _ids(client, world, start=_at(T0 + 5 * HOUR), end=_at(T0 + 5 * HOUR)) == set()
    assert _ids(client, world, start=_at(T0 + 12 * HOUR), end=_at(T0 + 3 * HOUR)) == set()


@pytest.mark.parametrize("name", ["updated_since", "start", "end"])
def test_a_number_for_a_moment_is_a_validation_problem(pg, name):
    client, world = pg
    assert_problem(client.get("/api/v1/alerts", params={name: "15.65"}, headers=as_(world.keys["admin"])), 422)


def test_sort_by_updated_at_lists_oldest_change_first(pg):
    client, world = pg
    response = client.get("/api/v1/alerts", params={"sort": "updated_at"}, headers=as_(world.keys["admin"]))
    stamps = [a["updated_at"] for a in response.json()["data"]]
    assert stamps == sorted(stamps) and len(stamps) == 4


def test_an_ongoing_episode_overlaps_any_later_range(pg_world, tmp_path):
    record = alert_row("sh-a", "a-corr", status="open", severity="low", wasted=3.0, kind="after_hours", hour=30)
    record.ongoing = True
    with pg_world.sessions() as session:
        session.add(record)
        session.commit()
        ongoing_id = record.id
    app = create_app(Settings(data_dir=tmp_path), pg_world.store, pg_world.sessions, ApiOptions(run_outbox=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert _ids(client, pg_world, start=_at(T0 + 40 * HOUR)) == {ongoing_id}


def test_the_filters_are_documented(pg):
    client, _ = pg
    doc = client.get("/api/v1/openapi.json").json()
    params = {p["name"]: p for p in doc["paths"]["/api/v1/alerts"]["get"]["parameters"]}
    for name in ("updated_since", "start", "end"):
        assert params[name]["description"]
