"""Leases on shards of the sites, so several ``kilowatch detect`` replicas share one portfolio.

A site belongs to shard ``crc32(site_id) % shards``. A pass is one sweep of the whole
portfolio, numbered 1, 2, ... in ``detection_passes``: the next pass begins when every shard
is done for the current one and ``interval_s`` has passed since it began (at once, when the
pass took longer). In a pass a replica claims a shard that is not done for it and is free or
whose lease expired (``FOR UPDATE SKIP LOCKED``: replicas never wait on each other's
claims), scans its sites and marks the shard done.

Exactly once per pass: each site's scan writes a ``detection_scans`` row (primary key
``(pass_no, site_id)``) in the same transaction as its alerts, after renewing the shard's
lease for its holder. A replica that takes over an expired shard skips the sites that have
a row for the pass; a replica whose lease was taken raises ``LeaseLost`` and its site's
transaction (alerts included) rolls back. Expiry and pass times use the database clock,
so the replicas' own clocks may differ.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
import zlib
from collections import defaultdict
from typing import Any, cast

from sqlalchemy import CursorResult, case, delete, func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from core.db.tables import DetectionPassRecord, DetectionScanRecord, DetectionShardRecord, SiteRecord

__all__ = ["LeaseLost", "ShardCountMismatch", "ShardLeases", "replica_id", "shard_of"]


class LeaseLost(Exception):
    """Another replica holds the shard now: the site scan in progress must not commit."""


class ShardCountMismatch(Exception):
    """The database's leases were made for another ``detect.shards``: a configuration error."""


def shard_of(site_id: str, shards: int) -> int:
    """The shard of a site: stable across processes and machines (unlike ``hash``)."""
    return zlib.crc32(site_id.encode()) % shards


def replica_id() -> str:
    """Names this process in leases and scan records: host, pid and a random tail (pids repeat)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class ShardLeases:
    """One replica's view of the shard leases; every method runs its own short transaction."""

    def __init__(
        self, sessions: sessionmaker[Session], *, shards: int, lease_s: float, interval_s: float, holder: str | None = None
    ) -> None:
        self.sessions = sessions
        self.shards = shards
        self.lease_s = lease_s
        self.interval_s = interval_s
        self.holder = holder or replica_id()

    def clock(self, session: Session | None = None) -> float:
        """Epoch seconds of the database server (SQLite has one process, so its own clock)."""
        if session is None:
            with self.sessions() as own:
                return self.clock(own)
        if session.get_bind().dialect.name == "postgresql":
            return float(session.execute(text("SELECT EXTRACT(EPOCH FROM clock_timestamp())")).scalar_one())
        return time.time()

    def begin_pass(self) -> int | None:
        """The pass to work on: the current one while shards are left, else the next one when it
        is due (begun here unless another replica was first); None when none is due yet."""
        with self.sessions.begin() as session:
            now = self.clock(session)
            current = session.execute(
                select(DetectionPassRecord.pass_no, DetectionPassRecord.started_at)
                .order_by(DetectionPassRecord.pass_no.desc())
                .limit(1)
            ).first()
            if current is not None:
                if _pending(session, current.pass_no):
                    return current.pass_no
                if now < current.started_at + self.interval_s:
                    return None
            pass_no = 1 if current is None else current.pass_no + 1
            session.execute(_insert_ignore(session, DetectionPassRecord, pass_no=pass_no, started_at=now, finished_at=None))
            return pass_no

    def seconds_to_next_pass(self) -> float:
        """How long until the next pass is due (0 when it is, or when no pass ever ran)."""
        with self.sessions() as session:
            started = session.scalar(select(func.max(DetectionPassRecord.started_at)))
            return 0.0 if started is None else max(0.0, started + self.interval_s - self.clock(session))

    def ensure(self) -> None:
        """Create the shard rows; refuse when they were made for another shard count."""
        with self.sessions.begin() as session:
            counts = set(session.scalars(select(DetectionShardRecord.shards).distinct()))
            if counts and counts != {self.shards}:
                raise ShardCountMismatch(
                    f"detect.shards is {self.shards} but the database holds leases for {sorted(counts)} shards: "
                    "give every replica the same detect.shards (to change it, stop every replica and empty "
                    "the detection_shards table)"
                )
            have = set(session.scalars(select(DetectionShardRecord.shard)))
            for shard in sorted(set(range(self.shards)) - have):
                # A replica starting at the same moment may insert the same rows: on conflict, nothing.
                session.execute(
                    _insert_ignore(
                        session,
                        DetectionShardRecord,
                        shard=shard,
                        shards=self.shards,
                        holder=None,
                        expires_at=0.0,
                        done_pass=0,
                        last_holder=None,
                    )
                )

    def sites_by_shard(self) -> dict[int, list[str]]:
        """Every registered site, by shard (read each pass, so new sites join at once)."""
        by_shard: dict[int, list[str]] = defaultdict(list)
        with self.sessions() as session:
            for site_id in session.scalars(select(SiteRecord.site_id).order_by(SiteRecord.site_id)):
                by_shard[shard_of(site_id, self.shards)].append(site_id)
        return by_shard

    def claim(self, pass_no: int) -> int | None:
        """A shard to scan in ``pass_no``, leased to this replica; None when no shard is free."""
        with self.sessions.begin() as session:
            now = self.clock(session)
            claimable = (DetectionShardRecord.done_pass < pass_no) & (
                DetectionShardRecord.holder.is_(None) | (DetectionShardRecord.expires_at < now)
            )
            # Own shards of the last pass first: this process has their hourly matrices in memory.
            mine_first = case((DetectionShardRecord.last_holder == self.holder, 0), else_=1)
            shard = session.scalars(
                select(DetectionShardRecord.shard)
                .where(claimable)
                .order_by(mine_first, DetectionShardRecord.shard)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if shard is None:
                return None
            # The same condition again: on SQLite (no row locks) this compare-and-set is the claim.
            taken = session.execute(
                update(DetectionShardRecord)
                .where(DetectionShardRecord.shard == shard, claimable)
                .values(holder=self.holder, expires_at=now + self.lease_s)
            )
            return shard if _rows(taken) == 1 else None

    def unscanned(self, pass_no: int, site_ids: list[str]) -> list[str]:
        """The sites among ``site_ids`` without a scan in ``pass_no`` (a dead holder did the rest)."""
        with self.sessions() as session:
            done = set(
                session.scalars(
                    select(DetectionScanRecord.site_id).where(
                        DetectionScanRecord.pass_no == pass_no, DetectionScanRecord.site_id.in_(site_ids)
                    )
                )
            )
        return [s for s in site_ids if s not in done]

    def scanned_here(self, pass_no: int, site_ids: list[str]) -> list[str]:
        """The sites among ``site_ids`` whose scan in ``pass_no`` this replica committed."""
        with self.sessions() as session:
            mine = set(
                session.scalars(
                    select(DetectionScanRecord.site_id).where(
                        DetectionScanRecord.pass_no == pass_no,
                        DetectionScanRecord.holder == self.holder,
                        DetectionScanRecord.site_id.in_(site_ids),
                    )
                )
            )
        return [s for s in site_ids if s in mine]

    def record(self, session: Session, site_id: str, *, shard: int, pass_no: int) -> None:
        """At the end of the site's own transaction: renew the lease (or raise ``LeaseLost``,
        which rolls the site back) and record the scan."""
        now = self.clock(session)
        renewed = session.execute(
            update(DetectionShardRecord)
            .where(DetectionShardRecord.shard == shard, DetectionShardRecord.holder == self.holder)
            .values(expires_at=now + self.lease_s)
        )
        if _rows(renewed) != 1:
            raise LeaseLost(f"shard {shard} was taken over from {self.holder}")
        session.add(DetectionScanRecord(pass_no=pass_no, site_id=site_id, holder=self.holder, scanned_at=now))

    def complete(self, shard: int, pass_no: int) -> bool:
        """Mark the shard done for ``pass_no`` and free it (and the pass finished when it was the
        last); False when its lease was lost meanwhile."""
        with self.sessions.begin() as session:
            done = session.execute(
                update(DetectionShardRecord)
                .where(DetectionShardRecord.shard == shard, DetectionShardRecord.holder == self.holder)
                .values(holder=None, expires_at=0.0, done_pass=pass_no, last_holder=self.holder)
            )
            if _rows(done) == 1 and not _pending(session, pass_no):
                session.execute(
                    update(DetectionPassRecord)
                    .where(DetectionPassRecord.pass_no == pass_no, DetectionPassRecord.finished_at.is_(None))
                    .values(finished_at=self.clock(session))
                )
            return _rows(done) == 1

    def release(self, shard: int) -> None:
        """Give a shard back undone (the scan failed), so another replica takes it without waiting."""
        with self.sessions.begin() as session:
            session.execute(
                update(DetectionShardRecord)
                .where(DetectionShardRecord.shard == shard, DetectionShardRecord.holder == self.holder)
                .values(holder=None, expires_at=0.0)
            )

    def pending(self, pass_no: int) -> int:
        """Shards not yet done for ``pass_no``."""
        with self.sessions() as session:
            return _pending(session, pass_no)

    def prune(self, before_pass: int) -> int:
        """Forget the scan records and passes before ``before_pass``."""
        with self.sessions.begin() as session:
            session.execute(delete(DetectionPassRecord).where(DetectionPassRecord.pass_no < before_pass))
            return _rows(session.execute(delete(DetectionScanRecord).where(DetectionScanRecord.pass_no < before_pass)))


def _pending(session: Session, pass_no: int) -> int:
    return (
        session.scalar(select(func.count()).select_from(DetectionShardRecord).where(DetectionShardRecord.done_pass < pass_no))
        or 0
    )


def _insert_ignore(session: Session, table: type, **values: object):
    """An insert that does nothing when the row exists (replicas starting together race for it)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(**values).on_conflict_do_nothing()
    return insert(table).values(**values).prefix_with("OR IGNORE")


def _rows(result: object) -> int:
    """Rows an UPDATE or DELETE matched (its result is a CursorResult; Session.execute is typed wider)."""
    return cast(CursorResult[Any], result).rowcount
