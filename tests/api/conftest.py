"""A real database (SQLite on tmp_path, or a fresh PostgreSQL one) and an embedded store,
seeded with two sites, alerts, keys and users."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.options import ApiOptions
from api.passwords import hash_password
from api.security import create_api_key
from core.db.registry import upsert_site
from core.db.session import create_db_engine, migrate, session_factory
from core.db.tables import UserRecord
from core.settings import Settings
from core.store.embedded import EmbeddedStore
from tests.api.seed import (
    A_CORR_KWH,
    A_GAS_M3,
    A_PV_KWH,
    B_CORR_KWH,
    METERS_A,
    METERS_B,
    SITE_A,
    SITE_B,
    T0,
    alert_row,
    series_of,
)


@functools.cache
def _hashed(password: str) -> str:
    # argon2id is slow on purpose; hash each seeded password once per test run.
    return hash_password(password)


@dataclass
class World:
    """What the tests seeded: alert ids by name, plaintext keys and user passwords by role."""

    alerts: dict[str, int]
    keys: dict[str, str]
    sessions: sessionmaker[Session]
    store: EmbeddedStore
    #: username -> password; usernames are the role names.
    users: dict[str, str]


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    yield from _seeded_world(f"sqlite:///{tmp_path / 'kilowatch.db'}", tmp_path)


@pytest.fixture
def pg_world(tmp_path, postgres_database) -> Iterator[World]:
    """The same world on a fresh PostgreSQL database (text there refuses NUL bytes, SQLite does not)."""
    yield from _seeded_world(postgres_database(), tmp_path)


@pytest.fixture(scope="module")
def pg_world_per_module(tmp_path_factory, postgres_database) -> Iterator[World]:
    """One PostgreSQL world for a whole module, for tests that only read or do not mind each other's writes."""
    yield from _seeded_world(postgres_database(), tmp_path_factory.mktemp("pg-world"))


def _seeded_world(db_url: str, tmp_path) -> Iterator[World]:
    engine = create_db_engine(db_url)
    migrate(engine)
    sessions = session_factory(engine)
    store = EmbeddedStore(tmp_path / "series.sqlite")
    store.write(series_of(METERS_A[0], A_CORR_KWH) + series_of(METERS_A[1], A_GAS_M3) + series_of(METERS_A[2], A_PV_KWH))
    store.write(series_of(METERS_B[0], B_CORR_KWH))
    with sessions() as session:
        upsert_site(session, SITE_A, METERS_A)
        upsert_site(session, SITE_B, METERS_B)
        alerts = {
            "a_open_high": alert_row(
                "sh-a", "a-corr", status="open", severity="high", wasted=30.0, kind="baseline_excess", hour=2
            ),
            "a_ack_medium": alert_row(
                "sh-a", "a-corr", status="acknowledged", severity="medium", wasted=10.0, kind="after_hours", hour=10
            ),
            "a_resolved_low": alert_row(
                "sh-a", "a-corr", status="resolved", severity="low", wasted=5.0, kind="baseline_excess", hour=20
            ),
            "b_open_high": alert_row(
                "bj-b", "b-corr", status="open", severity="high", wasted=50.0, kind="baseline_excess", hour=4
            ),
        }
        session.add_all(alerts.values())
        keys = {
            "admin": create_api_key(session, "ops admin", "admin"),
            "manager": create_api_key(session, "site A manager", "manager", ["sh-a"]),
            "viewer": create_api_key(session, "site A viewer", "viewer", ["sh-a"]),
        }
        users = {role: f"{role}-password-123" for role in ("admin", "manager", "viewer")}
        for role, password in users.items():
            session.add(
                UserRecord(
                    username=role,
                    display_name=f"{role} 用户",
                    password_hash=_hashed(password),
                    role=role,
                    site_ids=None if role == "admin" else ["sh-a"],
                    locale="zh",
                    disabled=False,
                    created_at=T0,
                )
            )
        session.commit()
        ids = {name: record.id for name, record in alerts.items()}
    yield World(alerts=ids, keys=keys, sessions=sessions, store=store, users=users)
    store.close()
    engine.dispose()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path)


#: The outbox loop is driven by hand in tests, except where a test starts it on purpose.
QUIET = ApiOptions(run_outbox=False)


@pytest.fixture
def client(world: World, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, world.store, world.sessions, QUIET)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
