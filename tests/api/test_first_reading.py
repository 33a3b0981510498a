"""A site's carbon ledger without `start` begins at its first reading, kept in the registry (PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.options import ApiOptions
from core.db.tables import SiteRecord
from core.domain import EnergyPoint
from core.settings import Settings
from tests.api.seed import HOUR, T0, as_


class CountingStore:
    """The real store, counting the calls made to it."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str):
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def counted(*args, **kwargs):
            self.calls[name] += 1
            return attr(*args, **kwargs)

        return counted


@pytest.fixture
def pg(pg_world, tmp_path):
    store = CountingStore(pg_world.store)
    app = create_app(Settings(data_dir=tmp_path), store, pg_world.sessions, ApiOptions(run_outbox=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, store, pg_world


def _carbon(client, world, **params) -> dict:
    response = client.get("/api/v1/sites/sh-a/carbon", params={"end": "2024-06-03", **params}, headers=as_(world.keys["admin"]))
    assert response.status_code == 200, response.text
    return response.json()


def _kept(world) -> int | None:
    with world.sessions() as session:
        return session.get(SiteRecord, "sh-a").first_reading_at


def _instant(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def test_the_first_reading_is_found_once_and_kept(pg):
    client, store, world = pg
    assert _kept(world) is None
    body = _carbon(client, world)
    assert datetime.fromisoformat(body["start"]) == _instant(T0)
    assert _kept(world) == T0


def test_a_kept_first_reading_spares_the_search(pg):
    client, store, world = pg
    first = _carbon(client, world)
    searching = sum(store.calls.values())
    store.calls.clear()
    again = _carbon(client, world)
    kept = sum(store.calls.values())
    assert again == first
    # The search bisects with ~20 aggregates; the kept reading is checked with two queries.
    assert searching - kept >= 15, (searching, kept)


def test_an_older_backfilled_reading_moves_the_start_back(pg):
    client, store, world = pg
    _carbon(client, world)
    earlier = T0 - 30 * 24 * HOUR
    world.store.write([EnergyPoint("sh-a", "a-corr", "corridor_lighting", earlier, 0.5, 0.0)])
    body = _carbon(client, world)
    assert datetime.fromisoformat(body["start"]) == _instant(earlier)
    assert _kept(world) == earlier


def test_an_end_before_the_first_reading_gives_an_empty_day(pg):
    client, store, world = pg
    _carbon(client, world)
    body = _carbon(client, world, end="2024-05-01")
    assert body["kwh"] == 0
    assert datetime.fromisoformat(body["end"]) - datetime.fromisoformat(body["start"]) == (
        datetime(2024, 5, 2) - datetime(2024, 5, 1)
    )
