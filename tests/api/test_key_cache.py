"""API keys that passed are trusted for ``key_cache_s`` per worker: never longer after a revocation."""

from __future__ import annotations

import secrets
import time
from dataclasses import replace

from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from api.key_cache import KeyCache
from api.security import KEY_PREFIX, Principal, Role, register_api_key
from core.db.tables import ApiKeyRecord
from tests.api.conftest import QUIET
from tests.api.seed import as_, assert_problem

BOUND_S = 0.5
VIEWER = Principal(key_id=1, name="v", role=Role.VIEWER, site_ids=None)


def _revoke(world, name: str) -> None:
    with world.sessions() as session:
        session.execute(update(ApiKeyRecord).where(ApiKeyRecord.name == name).values(revoked=True))
        session.commit()


def test_a_revoked_key_is_refused_once_the_bound_has_passed(world, settings):
    app = create_app(settings, world.store, world.sessions, replace(QUIET, key_cache_s=BOUND_S))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/sites", headers=as_(world.keys["viewer"])).status_code == 200
        _revoke(world, "site A viewer")
        revoked_at = time.monotonic()
        time.sleep(BOUND_S)
        # Whatever was checked before the revocation has expired by now.
        assert time.monotonic() - revoked_at >= BOUND_S
        assert_problem(client.get("/api/v1/sites", headers=as_(world.keys["viewer"])), 401)
        assert client.get("/api/v1/sites", headers=as_(world.keys["admin"])).status_code == 200


def test_a_key_registered_after_a_refusal_works_at_once(world, settings):
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with TestClient(create_app(settings, world.store, world.sessions, QUIET), raise_server_exceptions=False) as client:
        assert_problem(client.get("/api/v1/sites", headers=as_(key)), 401)
        with world.sessions() as session:
            register_api_key(session, key, "late", "viewer")
            session.commit()
        assert client.get("/api/v1/sites", headers=as_(key)).status_code == 200


def test_a_key_that_passed_is_checked_again_only_after_the_bound():
    now, checks = [100.0], []
    cache = KeyCache(ttl_s=5.0, clock=lambda: now[0])

    def check(key: str) -> Principal | None:
        checks.append(key)
        return VIEWER

    for _ in range(3):
        assert cache.principal("kw_a", check) == VIEWER
    assert checks == ["kw_a"]
    now[0] += 5.0
    assert cache.principal("kw_a", check) == VIEWER
    assert checks == ["kw_a", "kw_a"]


def test_a_refused_key_is_checked_every_time_and_forgets_its_earlier_pass():
    now, answers = [100.0], [VIEWER, None, None]
    cache = KeyCache(ttl_s=5.0, clock=lambda: now[0])
    assert cache.principal("kw_a", lambda _: answers.pop(0)) == VIEWER
    now[0] += 5.0
    assert cache.principal("kw_a", lambda _: answers.pop(0)) is None
    assert cache.principal("kw_a", lambda _: answers.pop(0)) is None
    assert answers == [] and len(cache) == 0


def test_the_cache_keeps_at_most_max_keys_and_never_the_secret():
    cache = KeyCache(ttl_s=60.0, max_keys=2)
    for key in ("kw_secret-1", "kw_secret-2", "kw_secret-3"):
        cache.principal(key, lambda _: VIEWER)
    assert len(cache) == 2
    assert not any("secret" in digest for digest in cache._kept)


def test_zero_checks_every_request():
    checks = []
    cache = KeyCache(ttl_s=0)
    for _ in range(3):
        cache.principal("kw_a", lambda k: checks.append(k) or VIEWER)
    assert len(checks) == 3
