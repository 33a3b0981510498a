"""Passwords are stored as argon2id at OWASP's cost; older hashes are upgraded at sign-in."""

from __future__ import annotations

import base64
import hashlib
import secrets
import statistics
import time
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.options import ApiOptions
from api.passwords import DEFAULT_COST, PasswordCost, hash_password, needs_rehash, verify_password
from core.db.tables import UserRecord
from core.settings import Settings
from tests.api.conftest import QUIET

ME = "/api/v1/auth/session"
#: Cheaper than OWASP on purpose: the "old parameters" a stored hash may still carry.
WEAK = PasswordCost(time_cost=1, memory_kib=8 * 1024, parallelism=1)


def _scrypt_hash(password: str) -> str:
    """A hash as releases before argon2id stored it (scrypt, n=2**14, r=8, p=1)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32, maxmem=2**26)
    return f"scrypt${2**14}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def _store_hash(world, username: str, stored: str) -> None:
    with world.sessions() as session:
        session.scalar(select(UserRecord).where(UserRecord.username == username)).password_hash = stored
        session.commit()


def _stored_hash(world, username: str) -> str:
    with world.sessions() as session:
        return session.scalar(select(UserRecord.password_hash).where(UserRecord.username == username))


def test_new_hashes_are_salted_argon2id_with_the_default_cost():
    first, second = hash_password("same password 1"), hash_password("same password 1")

    assert first.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and first != second
    assert verify_password("same password 1", first) and not verify_password("same password 2", first)
    assert not needs_rehash(first)


def test_the_default_cost_meets_owasp_for_argon2id():
    # OWASP: m=19 MiB with t=2, or m=46 MiB with t=1, at p=1.
    assert (DEFAULT_COST.memory_kib >= 19456 and DEFAULT_COST.time_cost >= 2) or (
        DEFAULT_COST.memory_kib >= 47104 and DEFAULT_COST.time_cost >= 1
    )
    assert ApiOptions().password_cost == DEFAULT_COST
    assert ApiOptions.from_settings(Settings().api).password_cost == DEFAULT_COST


@pytest.mark.parametrize("old", [_scrypt_hash, lambda password: hash_password(password, WEAK)], ids=["scrypt", "weak-argon2id"])
def test_an_old_hash_is_upgraded_at_a_successful_sign_in(client, world, old):
    _store_hash(world, "manager", old(world.users["manager"]))

    response = client.post(ME, json={"username": "manager", "password": world.users["manager"]})

    stored = _stored_hash(world, "manager")
    assert response.status_code == 201, response.text
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and not needs_rehash(stored)
    assert verify_password(world.users["manager"], stored)


def test_a_wrong_password_fails_and_leaves_the_old_hash(client, world):
    old = _scrypt_hash(world.users["manager"])
    _store_hash(world, "manager", old)

    response = client.post(ME, json={"username": "manager", "password": "not-the-password-1"})

    assert response.status_code == 401
    assert _stored_hash(world, "manager") == old


def test_a_current_hash_is_left_as_it_is(client, world):
    before = _stored_hash(world, "viewer")

    assert client.post(ME, json={"username": "viewer", "password": world.users["viewer"]}).status_code == 201
    assert _stored_hash(world, "viewer") == before


def test_a_cheaper_cost_applies_only_when_handed_in(world, settings):
    with TestClient(create_app(settings, world.store, world.sessions, replace(QUIET, password_cost=WEAK))) as client:
        assert client.post(ME, json={"username": "admin", "password": world.users["admin"]}).status_code == 201

    assert _stored_hash(world, "admin").startswith("$argon2id$v=19$m=8192,t=1,p=1$")


def test_sign_in_stays_quick_and_unknown_users_take_as_long(world, settings):
    known, unknown = [], []
    # Room for the failed sign-ins below: a 429 would answer without a check.
    options = replace(QUIET, sign_in_max_failures=100)
    with TestClient(create_app(settings, world.store, world.sessions, options)) as client:
        # Interleaved, so a change in the shared machine's load weighs on both alike.
        for _ in range(7):
            for username, password, status, times in (
                ("viewer", world.users["viewer"], 201, known),
                ("nobody-at-all", "some-password-1", 401, unknown),
            ):
                started = time.perf_counter()
                response = client.post(ME, json={"username": username, "password": password})
                times.append(time.perf_counter() - started)
                assert response.status_code == status

    # Measured about 0.08 s per check on a busy 2-core host (scrypt at n=2**17 took 1 s idle).
    assert statistics.median(known) < 0.75
    # An unknown user spends a check too: without it the answer takes about 10 ms.
    assert statistics.median(unknown) > 0.3 * statistics.median(known)
