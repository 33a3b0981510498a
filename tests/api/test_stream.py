"""The live alert stream: changes made elsewhere arrive as SSE events, only for sites in scope."""

from __future__ import annotations

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from api.options import ApiOptions
from core.db.tables import AlertRecord
from tests.api.seed import as_, assert_problem

FAST = ApiOptions(run_outbox=False, stream_poll_s=0.05, stream_max_s=3.0, stream_heartbeat_s=60)


@pytest.fixture
def fast_client(world, settings):
    with TestClient(create_app(settings, world.store, world.sessions, FAST), raise_server_exceptions=False) as client:
        yield client


def _touch_later(world, *names: str) -> None:
    """Another process (the detector) changes alerts shortly after the stream opened."""

    def touch() -> None:
        time.sleep(0.3)
        with world.sessions() as session:
            ids = [world.alerts[n] for n in names]
            session.execute(update(AlertRecord).where(AlertRecord.id.in_(ids)).values(updated_at=int(time.time()) + 1))
            session.commit()

    threading.Thread(target=touch, daemon=True).start()


def _events(client, headers, params=None) -> list[dict]:
    """Every event of one stream (it ends after stream_max_s)."""
    events, current = [], {}
    with client.stream("GET", "/api/v1/alerts/stream", headers=headers, params=params) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line:
                if "data" in current:
                    events.append(current)
                current = {}
                continue
            field, _, value = line.partition(": ")
            current[field] = value
    return events


def test_a_change_made_by_another_process_arrives_as_an_alert_event(fast_client, world):
    _touch_later(world, "a_open_high")

    events = _events(fast_client, as_(world.keys["admin"]))

    assert [json.loads(e["data"])["id"] for e in events] == [world.alerts["a_open_high"]]
    assert events[0]["event"] == "alert"
    assert events[0]["id"].endswith(f"-{world.alerts['a_open_high']}")


def test_changes_of_sites_out_of_scope_never_arrive(fast_client, world):
    _touch_later(world, "b_open_high", "a_ack_medium")

    events = _events(fast_client, as_(world.keys["viewer"]))

    assert [json.loads(e["data"])["site_id"] for e in events] == ["sh-a"]


def test_a_reconnecting_client_gets_what_it_missed(fast_client, world):
    with world.sessions() as session:
        session.execute(
            update(AlertRecord).where(AlertRecord.id == world.alerts["a_ack_medium"]).values(updated_at=int(time.time()) - 60)
        )
        session.commit()
    last_seen = f"{int(time.time()) - 120}-1"

    events = _events(fast_client, {**as_(world.keys["admin"]), "Last-Event-ID": last_seen})

    assert world.alerts["a_ack_medium"] in [json.loads(e["data"])["id"] for e in events]


def test_stream_needs_a_key(fast_client):
    assert_problem(fast_client.get("/api/v1/alerts/stream"), 401)


def test_a_stream_ends_when_its_key_is_revoked_and_sends_nothing_after(fast_client, world):
    from core.db.tables import ApiKeyRecord

    def revoke_then_touch() -> None:
        time.sleep(0.3)
        with world.sessions() as session:
            session.execute(update(ApiKeyRecord).where(ApiKeyRecord.name == "site A viewer").values(revoked=True))
            session.commit()
        time.sleep(0.2)
        with world.sessions() as session:
            session.execute(
                update(AlertRecord).where(AlertRecord.id == world.alerts["a_ack_medium"]).values(updated_at=int(time.time()) + 1)
            )
            session.commit()

    threading.Thread(target=revoke_then_touch, daemon=True).start()
    began = time.monotonic()
    events = _events(fast_client, as_(world.keys["viewer"]))

    assert events == []
    assert time.monotonic() - began < FAST.stream_max_s  # ended early, not at the time limit


def test_a_caller_may_hold_only_a_few_streams_and_a_closed_one_frees_its_place(world, settings):
    from dataclasses import replace

    two = replace(FAST, stream_max_per_caller=2, stream_max_s=1.0)
    with TestClient(create_app(settings, world.store, world.sessions, two), raise_server_exceptions=False) as client:
        admin = as_(world.keys["admin"])
        with (
            client.stream("GET", "/api/v1/alerts/stream", headers=admin) as first,
            client.stream("GET", "/api/v1/alerts/stream", headers=admin) as second,
        ):
            assert first.status_code == second.status_code == 200
            assert_problem(client.get("/api/v1/alerts/stream", headers=admin), 429)
            # Another caller has its own places.
            with client.stream("GET", "/api/v1/alerts/stream", headers=as_(world.keys["viewer"])) as other:
                assert other.status_code == 200
                list(other.iter_lines())
            list(first.iter_lines())
            list(second.iter_lines())
        with client.stream("GET", "/api/v1/alerts/stream", headers=admin) as again:
            assert again.status_code == 200
            list(again.iter_lines())
