"""API keys: shown once, stored as a SHA-256 hash, matched only when exact and live."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from api.security import authenticate, create_api_key
from core.db.tables import ApiKeyRecord


def test_created_key_has_the_kw_prefix_and_enough_randomness(world):
    with world.sessions() as session:
        key = create_api_key(session, "new", "viewer", ["sh-a"])

    assert key.startswith("kw_")
    assert len(key) >= 3 + 43  # token_urlsafe(32) is 43 characters


def test_only_the_hash_and_a_short_prefix_are_stored(world):
    with world.sessions() as session:
        key = create_api_key(session, "new", "viewer", ["sh-a"])
        record = session.scalars(select(ApiKeyRecord).where(ApiKeyRecord.name == "new")).one()

    assert record.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(record.prefix) and len(record.prefix) < 16


def test_authenticate_finds_the_record_of_an_exact_key(world):
    with world.sessions() as session:
        record = authenticate(session, world.keys["manager"])

    assert record is not None and record.role == "manager" and record.site_ids == ["sh-a"]


def test_authenticate_rejects_a_key_differing_in_its_last_character(world):
    key = world.keys["admin"]
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")

    with world.sessions() as session:
        assert authenticate(session, tampered) is None


def test_unknown_role_is_refused(world):
    with world.sessions() as session, pytest.raises(ValueError):
        create_api_key(session, "bad", "superuser")
