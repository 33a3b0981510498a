"""Kept answers: never staler than their data, never given to a caller with other rights."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import create_api_key
from core.db.tables import AlertRecord
from core.db.versioned_store import VersionedStore
from core.domain import EnergyPoint
from tests.api.conftest import QUIET
from tests.api.seed import A_CORR_KWH, HOURS, T0, alert_row, as_

CARBON = "/api/v1/sites/sh-a/carbon"
JUNE_1_AND_2 = {"start": "2024-06-01", "end": "2024-06-02"}
INBOX = {"status": ["open", "acknowledged"], "snoozed": "false"}


@pytest.fixture
def admin(world):
    return as_(world.keys["admin"])


def _hits(client: TestClient) -> int:
    return client.app.state.response_cache.hits  # type: ignore[attr-defined]


def _second_answer_is_kept(client, path, params, headers) -> dict:
    first = client.get(path, params=params, headers=headers)
    hits = _hits(client)
    second = client.get(path, params=params, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and _hits(client) == hits + 1
    return second.json()


def test_a_repeated_carbon_request_is_answered_from_the_kept_answer(client, admin):
    body = _second_answer_is_kept(client, CARBON, JUNE_1_AND_2, admin)

    assert body["kwh"] == HOURS * A_CORR_KWH


def _late(site_id: str, meter_id: str, ts: int, kwh: float) -> list[EnergyPoint]:
    return [EnergyPoint(site_id, meter_id, "corridor_lighting", ts, 0.0, kwh)]


def test_a_new_reading_shows_in_the_next_site_carbon_answer(client, world, admin):
    # As ingest writes: through the store that bumps the reading versions (a first write, so the month has one).
    ingest = VersionedStore(world.store, world.sessions)
    ingest.write(_late("sh-a", "a-corr", T0 + 1800, 7.0))
    ingest.flush()
    _second_answer_is_kept(client, CARBON, JUNE_1_AND_2, admin)

    ingest.write(_late("sh-a", "a-corr", T0 + 2700, 3.0))
    ingest.flush()  # its versions bumped: within 0.2 s of the write

    assert client.get(CARBON, params=JUNE_1_AND_2, headers=admin).json()["kwh"] == HOURS * A_CORR_KWH + 10.0


def test_a_new_reading_shows_in_the_next_portfolio_answer(client, world, admin):
    ingest = VersionedStore(world.store, world.sessions)
    ingest.write(_late("bj-b", "b-corr", T0 + 1800, 5.0))
    ingest.flush()
    before = _second_answer_is_kept(client, "/api/v1/carbon", JUNE_1_AND_2, admin)["total"]["kwh"]

    ingest.write(_late("bj-b", "b-corr", T0 + 2700, 5.0))
    ingest.flush()

    assert client.get("/api/v1/carbon", params=JUNE_1_AND_2, headers=admin).json()["total"]["kwh"] == before + 5.0


def test_a_reading_of_another_month_keeps_the_answer(client, world, admin):
    _second_answer_is_kept(client, CARBON, JUNE_1_AND_2, admin)

    ingest = VersionedStore(world.store, world.sessions)
    ingest.write(_late("sh-a", "a-corr", T0 + 40 * 86400, 5.0))  # in July
    ingest.flush()
    hits = _hits(client)

    client.get(CARBON, params=JUNE_1_AND_2, headers=admin).raise_for_status()
    assert _hits(client) == hits + 1


def test_a_green_instrument_shows_in_the_next_answer(client, admin):
    before = _second_answer_is_kept(client, CARBON, JUNE_1_AND_2, admin)
    instrument = {"instrument": "gec", "mwh": 1, "period_start": "2024-06-01", "period_end": "2024-06-02", "vintage_year": 2024}
    client.post("/api/v1/sites/sh-a/green-instruments", json=instrument, headers=admin).raise_for_status()

    after = client.get(CARBON, params=JUNE_1_AND_2, headers=admin).json()

    assert after["certified_kwh"] > before["certified_kwh"] == 0


def test_a_new_alert_shows_in_the_next_alert_list(client, world, admin):
    before = _second_answer_is_kept(client, "/api/v1/alerts", INBOX, admin)["total"]
    with world.sessions() as session:  # as the detector writes
        session.add(alert_row("sh-a", "a-corr", status="open", severity="low", wasted=1.0, kind="after_hours", hour=30))
        session.commit()

    assert client.get("/api/v1/alerts", params=INBOX, headers=admin).json()["total"] == before + 1


def test_an_acknowledged_alert_shows_in_the_next_alert_list(client, world, admin):
    _second_answer_is_kept(client, "/api/v1/alerts", INBOX, admin)
    alert_id = world.alerts["a_open_high"]
    client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=admin).raise_for_status()

    listed = {a["id"]: a["status"] for a in client.get("/api/v1/alerts", params=INBOX, headers=admin).json()["data"]}

    assert listed[alert_id] == "acknowledged"


def test_a_snoozed_alert_returns_to_the_inbox_when_its_snooze_ends(client, world, admin):
    alert_id = world.alerts["a_open_high"]
    with world.sessions() as session:
        session.get(AlertRecord, alert_id).snoozed_until = int(time.time()) + 2  # type: ignore[union-attr]
        session.commit()
    hidden = _second_answer_is_kept(client, "/api/v1/alerts", INBOX, admin)
    assert alert_id not in {a["id"] for a in hidden["data"]}

    time.sleep(2.5)

    assert alert_id in {a["id"] for a in client.get("/api/v1/alerts", params=INBOX, headers=admin).json()["data"]}


def test_a_renamed_meter_shows_in_the_next_alert_list(client, world, admin):
    _second_answer_is_kept(client, "/api/v1/alerts", INBOX, admin)
    from core.db.tables import MeterRecord

    with world.sessions() as session:
        session.get(MeterRecord, "a-corr").name = "2号楼走廊"  # type: ignore[union-attr]
        session.commit()

    names = {a["meter_name"] for a in client.get("/api/v1/alerts", params=INBOX, headers=admin).json()["data"]}
    assert "2号楼走廊" in names


# -- rights -------------------------------------------------------------------------------------


@pytest.fixture
def b_viewer(world):
    with world.sessions() as session:
        key = create_api_key(session, "site B viewer", "viewer", ["bj-b"])
        session.commit()
    return as_(key)


def test_an_admins_kept_portfolio_is_not_given_to_a_scoped_key(client, world, admin):
    _second_answer_is_kept(client, "/api/v1/carbon", JUNE_1_AND_2, admin)
    viewer = as_(world.keys["viewer"])
    client.get("/api/v1/alerts", headers=viewer)  # the viewer's key checked: a hit could be served before routing

    sites = {s["site_id"] for s in client.get("/api/v1/carbon", params=JUNE_1_AND_2, headers=viewer).json()["sites"]}

    assert sites == {"sh-a"}


def test_an_admins_kept_alert_list_is_not_given_to_a_scoped_key(client, world, admin):
    _second_answer_is_kept(client, "/api/v1/alerts", INBOX, admin)
    viewer = as_(world.keys["viewer"])
    client.get("/api/v1/health", headers=viewer)
    for _ in range(2):  # the second with the key checked recently
        body = client.get("/api/v1/alerts", params=INBOX, headers=viewer).json()
        assert {a["site_id"] for a in body["data"]} == {"sh-a"}


def test_a_kept_site_answer_is_not_given_to_a_key_without_the_site(client, admin, b_viewer):
    _second_answer_is_kept(client, CARBON, JUNE_1_AND_2, admin)
    client.get("/api/v1/alerts", headers=b_viewer).raise_for_status()  # key checked

    for _ in range(2):
        assert client.get(CARBON, params=JUNE_1_AND_2, headers=b_viewer).status_code == 404


def test_keys_with_the_same_sites_share_kept_answers(client, world):
    viewer, manager = as_(world.keys["viewer"]), as_(world.keys["manager"])
    first = client.get(CARBON, params=JUNE_1_AND_2, headers=viewer)

    # A manager has another role: its own answer, equal in content.
    assert client.get(CARBON, params=JUNE_1_AND_2, headers=manager).content == first.content
    with world.sessions() as session:
        twin = as_(create_api_key(session, "another site A viewer", "viewer", ["sh-a"]))
        session.commit()
    hits = _hits(client)
    assert client.get(CARBON, params=JUNE_1_AND_2, headers=twin).content == first.content
    assert _hits(client) == hits + 1


def test_a_revoked_key_gets_no_kept_answer_after_the_key_cache_bound(world, settings):
    app = create_app(settings, world.store, world.sessions, QUIET.__class__(run_outbox=False, key_cache_s=0.5))
    viewer = as_(world.keys["viewer"])
    with TestClient(app, raise_server_exceptions=False) as client:
        _second_answer_is_kept(client, CARBON, JUNE_1_AND_2, viewer)
        with world.sessions() as session:
            from api.security import authenticate

            authenticate(session, world.keys["viewer"]).revoked = True  # type: ignore[union-attr]
            session.commit()
        time.sleep(0.6)

        assert client.get(CARBON, params=JUNE_1_AND_2, headers=viewer).status_code == 401


# -- several workers ----------------------------------------------------------------------------


@pytest.fixture
def two_workers(world, settings) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps on one database and store, as ``serve --workers 2`` runs them."""
    with (
        TestClient(create_app(settings, world.store, world.sessions, QUIET), raise_server_exceptions=False) as one,
        TestClient(create_app(settings, world.store, world.sessions, QUIET), raise_server_exceptions=False) as two,
    ):
        yield one, two


def test_a_change_made_through_one_worker_shows_in_the_others_next_answer(two_workers, world, admin):
    one, two = two_workers
    _second_answer_is_kept(one, "/api/v1/alerts", INBOX, admin)
    alert_id = world.alerts["a_open_high"]

    two.post(f"/api/v1/alerts/{alert_id}/resolve", headers=admin).raise_for_status()

    assert alert_id not in {a["id"] for a in one.get("/api/v1/alerts", params=INBOX, headers=admin).json()["data"]}


def test_a_cache_of_no_entries_keeps_nothing(world, settings, admin):
    app = create_app(settings, world.store, world.sessions, QUIET.__class__(run_outbox=False, response_cache_entries=0))
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(2):
            client.get(CARBON, params=JUNE_1_AND_2, headers=admin).raise_for_status()
        assert _hits(client) == 0 and len(app.state.response_cache) == 0
