"""Admins read the messages ingest rejected: filters, the site from the topic, the first bytes."""

from __future__ import annotations

from tests.api.seed import as_, assert_problem
from tests.dead_letters import seed_dead_letters


def test_admins_see_rejected_messages_newest_first_with_site_and_payload_head(client, world):
    seed_dead_letters(world.sessions)

    body = client.get("/api/v1/dead-letters", headers=as_(world.keys["admin"])).json()

    assert body["total"] == 3
    assert [d["kind"] for d in body["data"]] == ["bad_topic", "bad_value", "malformed_json"]
    assert [d["site_id"] for d in body["data"]] == [None, "siteX1", "site_1"]
    oldest = body["data"][2]
    assert oldest["payload_head"].startswith("not json \\x00\ufffd")
    assert oldest["payload_bytes"] == 511 and len(oldest["payload_head"]) < 140


def test_filters_by_kind_site_and_time_and_an_underscore_is_not_a_wildcard(client, world):
    seed_dead_letters(world.sessions)
    headers = as_(world.keys["admin"])

    def kinds(**params):
        return [d["kind"] for d in client.get("/api/v1/dead-letters", params=params, headers=headers).json()["data"]]

    assert kinds(kind="bad_value") == ["bad_value"]
    assert kinds(site_id="site_1") == ["malformed_json"]
    assert kinds(since="2024-05-31T16:01:00Z") == ["bad_topic", "bad_value"]
    assert kinds(until="2024-05-31T16:01:00Z") == ["malformed_json"]


def test_managers_may_not_read_dead_letters(client, world):
    assert_problem(client.get("/api/v1/dead-letters", headers=as_(world.keys["manager"])), 403)


def test_a_time_bound_past_2038_finds_nothing_instead_of_failing_on_postgresql(pg_world, tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.options import ApiOptions
    from core.settings import Settings

    app = create_app(Settings(data_dir=tmp_path), pg_world.store, pg_world.sessions, ApiOptions(run_outbox=False))
    with TestClient(app, raise_server_exceptions=False) as pg_client:
        headers = as_(pg_world.keys["admin"])
        late = pg_client.get("/api/v1/dead-letters", params={"since": "2038-02-01T00:00:00Z"}, headers=headers)
        early = pg_client.get("/api/v1/dead-letters", params={"until": "1900-01-01T00:00:00Z"}, headers=headers)
    assert late.status_code == 200 and late.json()["data"] == []
    assert early.status_code == 200 and early.json()["data"] == []


def test_a_number_for_a_time_bound_is_refused_not_read_as_1970(client, world):
    seed_dead_letters(world.sessions)
    response = client.get("/api/v1/dead-letters", params={"until": "15.65"}, headers=as_(world.keys["admin"]))
    assert response.status_code == 422
