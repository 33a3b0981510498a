"""Shard leases of detection replicas (``core.db.leases``), on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db.leases import LeaseLost, ShardCountMismatch, ShardLeases
from core.db.session import migrate, session_factory
from core.db.tables import DetectionScanRecord
from tests.support import wait_for

LEASE_S = 0.3


@pytest.fixture
def sessions(engine):
    migrate(engine)
    return session_factory(engine)


def replica(sessions, name: str, *, shards: int = 1, interval_s: float = 60.0) -> ShardLeases:
    leases = ShardLeases(sessions, shards=shards, lease_s=LEASE_S, interval_s=interval_s, holder=name)
    leases.ensure()
    return leases


def test_a_leased_shard_goes_to_another_replica_only_once_the_lease_expired(sessions):
    a, b = replica(sessions, "a"), replica(sessions, "b")
    pass_no = a.begin_pass()
    assert a.claim(pass_no) == 0
    assert b.claim(pass_no) is None
    assert wait_for(lambda: b.claim(pass_no) == 0, timeout=5, what="the takeover after the lease") is True


def test_two_replicas_share_the_shards_of_a_pass(sessions):
    a, b = replica(sessions, "a", shards=2), replica(sessions, "b", shards=2)
    pass_no = a.begin_pass()
    assert b.begin_pass() == pass_no
    assert {a.claim(pass_no), b.claim(pass_no)} == {0, 1}
    assert a.claim(pass_no) is None and b.claim(pass_no) is None


def test_a_replica_whose_shard_was_taken_over_cannot_commit_a_scan(sessions):
    a, b = replica(sessions, "a"), replica(sessions, "b")
    pass_no = a.begin_pass()
    a.claim(pass_no)
    wait_for(lambda: b.claim(pass_no) == 0, timeout=5, what="the takeover")
    with pytest.raises(LeaseLost), sessions.begin() as session:
        a.record(session, "site-1", shard=0, pass_no=pass_no)
    with sessions() as session:
        assert session.scalars(select(DetectionScanRecord)).all() == []
    assert not a.complete(0, pass_no)


def test_the_replica_that_takes_over_skips_the_sites_scanned_in_the_pass(sessions):
    a, b = replica(sessions, "a"), replica(sessions, "b")
    pass_no = a.begin_pass()
    a.claim(pass_no)
    with sessions.begin() as session:
        a.record(session, "site-1", shard=0, pass_no=pass_no)
    wait_for(lambda: b.claim(pass_no) == 0, timeout=5, what="the takeover")
    assert b.unscanned(pass_no, ["site-1", "site-2"]) == ["site-2"]
    assert a.unscanned(pass_no + 1, ["site-1", "site-2"]) == ["site-1", "site-2"]


def test_the_next_pass_begins_when_every_shard_is_done_and_the_interval_has_passed(sessions):
    a, b = replica(sessions, "a", shards=2, interval_s=0.5), replica(sessions, "b", shards=2, interval_s=0.5)
    first = a.begin_pass()
    assert a.claim(first) == 0 and a.complete(0, first)
    assert b.begin_pass() == first  # shard 1 is left, whatever the time
    assert b.claim(first) == 1 and b.complete(1, first)
    assert a.begin_pass() is None
    second = wait_for(b.begin_pass, timeout=5, what="the next pass")
    assert second == first + 1 and a.begin_pass() == second


def test_a_replica_with_another_shard_count_is_refused(sessions):
    replica(sessions, "a", shards=4)
    with pytest.raises(ShardCountMismatch, match="detect.shards"):
        replica(sessions, "b", shards=8)
