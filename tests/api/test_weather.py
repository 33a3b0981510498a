"""Importing a site's outdoor temperature as CSV: stored per hour on PostgreSQL, refused whole with
the problems by line, site scope and role checked like the other site routes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.options import ApiOptions
from core.db.tables import WeatherRecord
from core.settings import Settings
from tests.api.seed import as_, assert_problem

URL = "/api/v1/sites/{site}/weather"
GOOD = "ts,temp_c\n2024-06-01T00:00:00Z,21.5\n2024-06-01T00:30:00Z,22.5\n1717203600,23\n"


@pytest.fixture
def pg_client(pg_world, tmp_path):
    app = create_app(Settings(data_dir=tmp_path), pg_world.store, pg_world.sessions, ApiOptions(run_outbox=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, pg_world


def stored(world, site="sh-a") -> list[tuple[int, float, str]]:
    with world.sessions() as session:
        return [
            tuple(r)
            for r in session.execute(
                select(WeatherRecord.hour, WeatherRecord.temp_c, WeatherRecord.source)
                .where(WeatherRecord.site_id == site)
                .order_by(WeatherRecord.hour)
            )
        ]


def test_a_manager_imports_hours_of_its_site_and_samples_within_an_hour_are_averaged(pg_client):
    client, world = pg_client

    answer = client.post(URL.format(site="sh-a"), json={"csv": GOOD}, headers=as_(world.keys["manager"]))

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "site_id": "sh-a",
        "samples": 3,
        "hours": 2,
        "first": "2024-06-01T00:00:00Z",
        "last": "2024-06-01T01:00:00Z",
    }
    assert stored(world) == [(1717200000, 22.0, "csv"), (1717203600, 23.0, "csv")]


def test_importing_an_hour_again_replaces_it(pg_client):
    client, world = pg_client
    admin = as_(world.keys["admin"])
    client.post(URL.format(site="sh-a"), json={"csv": GOOD}, headers=admin)

    client.post(URL.format(site="sh-a"), json={"csv": "ts,temp_c\n2024-06-01T01:00:00Z,18\n"}, headers=admin)

    assert stored(world) == [(1717200000, 22.0, "csv"), (1717203600, 18.0, "csv")]


def test_impossible_values_refuse_the_file_with_each_line_named_and_store_nothing(pg_client):
    client, world = pg_client
    text = (
        "ts,temp_c\n2024-06-01T00:00:00Z,20\n2024-06-01T01:00:00Z,1e308\n2024-06-01T02:00:00Z,nan\n"
        "2024-06-01T03:00:00Z,-300\nyesterday,5\n2024-06-01T05:00:00Z,71\n"
    )

    problem = assert_problem(client.post(URL.format(site="sh-a"), json={"csv": text}, headers=as_(world.keys["admin"])), 422)

    assert [e["loc"] for e in problem["errors"]] == [["body", "csv", n] for n in (3, 4, 5, 6, 7)]
    assert problem["detail"].startswith("line 3: temp_c 1e+308 C is outside -90..70 C")
    assert "not finite" in problem["errors"][1]["msg"] and "bad ts 'yesterday'" in problem["errors"][3]["msg"]
    assert stored(world) == []


def test_a_file_without_the_header_is_refused_at_line_1(client, world):
    problem = assert_problem(
        client.post(URL.format(site="sh-a"), json={"csv": "2024-06-01T00:00:00Z,20\n"}, headers=as_(world.keys["admin"])), 422
    )

    assert problem["errors"][0]["loc"] == ["body", "csv", 1]


def test_a_viewer_may_not_import_and_another_sites_manager_finds_no_site(client, world):
    viewer = client.post(URL.format(site="sh-a"), json={"csv": GOOD}, headers=as_(world.keys["viewer"]))
    outside = client.post(URL.format(site="bj-b"), json={"csv": GOOD}, headers=as_(world.keys["manager"]))

    assert_problem(viewer, 403)
    assert_problem(outside, 404)
    assert stored(world) == [] and stored(world, "bj-b") == []


def test_a_csv_longer_than_the_limit_is_a_422_before_it_is_read(client, world):
    text = "ts,temp_c\n" + "2024-06-01T00:00:00Z,20\n" * 45_000

    problem = assert_problem(client.post(URL.format(site="sh-a"), json={"csv": text}, headers=as_(world.keys["admin"])), 422)

    assert problem["errors"][0]["loc"] == ["body", "csv"]
