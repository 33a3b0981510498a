"""Which sites a key may see: out-of-scope sites look exactly like missing ones."""

from __future__ import annotations

import pytest

from tests.api.seed import as_, assert_problem


@pytest.fixture
def viewer(world):
    return as_(world.keys["viewer"])


def test_viewer_lists_only_its_sites(client, viewer):
    body = client.get("/api/v1/sites", headers=viewer).json()

    assert [s["site_id"] for s in body["data"]] == ["sh-a"]


def test_viewer_lists_only_alerts_of_its_sites(client, viewer):
    body = client.get("/api/v1/alerts", headers=viewer).json()

    assert body["total"] == 3
    assert {a["site_id"] for a in body["data"]} == {"sh-a"}


def test_viewer_filtering_on_another_site_gets_no_alerts(client, viewer):
    body = client.get("/api/v1/alerts", params={"site_id": "bj-b"}, headers=viewer).json()

    assert body["total"] == 0 and body["data"] == []


def test_viewer_reads_its_site_with_meters(client, viewer):
    body = client.get("/api/v1/sites/sh-a", headers=viewer).json()

    assert {m["meter_id"] for m in body["meters"]} == {"a-corr", "a-gas", "a-pv"}


def test_viewer_reads_carbon_of_its_site(client, viewer):
    assert client.get("/api/v1/sites/sh-a/carbon", headers=viewer).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sites/bj-b",
        "/api/v1/sites/bj-b/carbon",
        "/api/v1/sites/bj-b/meters/b-corr/series",
    ],
)
def test_viewer_gets_404_for_another_sites_resources(client, viewer, path):
    assert_problem(client.get(path, headers=viewer), 404)


def test_viewer_gets_404_for_another_sites_alert(client, world, viewer):
    assert_problem(client.get(f"/api/v1/alerts/{world.alerts['b_open_high']}", headers=viewer), 404)


def test_out_of_scope_site_answers_exactly_like_a_missing_one(client, viewer):
    hidden = client.get("/api/v1/sites/bj-b", headers=viewer).json()
    missing = client.get("/api/v1/sites/xx-none", headers=viewer).json()

    assert hidden == {**missing, "detail": missing["detail"].replace("xx-none", "bj-b")}


def test_out_of_scope_alert_answers_exactly_like_a_missing_one(client, world, viewer):
    hidden_id = world.alerts["b_open_high"]
    hidden = client.get(f"/api/v1/alerts/{hidden_id}", headers=viewer).json()
    missing = client.get("/api/v1/alerts/99999", headers=viewer).json()

    assert hidden == {**missing, "detail": missing["detail"].replace("99999", str(hidden_id))}


def test_meter_of_another_site_is_404_even_under_a_visible_site(client, viewer):
    assert_problem(client.get("/api/v1/sites/sh-a/meters/b-corr/series", headers=viewer), 404)


def test_viewer_may_not_acknowledge(client, world, viewer):
    assert_problem(client.post(f"/api/v1/alerts/{world.alerts['a_open_high']}/acknowledge", headers=viewer), 403)


def test_viewer_may_not_resolve(client, world, viewer):
    assert_problem(client.post(f"/api/v1/alerts/{world.alerts['a_open_high']}/resolve", headers=viewer), 403)


def test_manager_acting_on_another_sites_alert_gets_404(client, world):
    response = client.post(f"/api/v1/alerts/{world.alerts['b_open_high']}/acknowledge", headers=as_(world.keys["manager"]))

    assert_problem(response, 404)


def test_admin_sees_every_site(client, world):
    body = client.get("/api/v1/sites", headers=as_(world.keys["admin"])).json()

    assert {s["site_id"] for s in body["data"]} == {"sh-a", "bj-b"}


def test_admin_sees_every_alert(client, world):
    body = client.get("/api/v1/alerts", headers=as_(world.keys["admin"])).json()

    assert body["total"] == 4
