"""Keeps a store's carbon rollups current in the background, so no request pays for late data.

InfluxDB 1.x keeps per-site day and month documents that readers recompute when a late
point marked their day dirty, or when they were never built (a backfill, an upgrade): the
first carbon request after that could take a minute. The API process calls the store's
``keep_rollups`` over the recent past every few minutes instead, and over one older month
each round (``HISTORY_MONTHS`` back, then again), so a month nobody read yet is built too. Stores without rollups
to keep (the embedded store keeps its own at write time) need nothing.

With several API workers (``kilowatch serve --workers N``) exactly one keeps the rollups:
the one holding an exclusive lock on ``rollup-keeper.lock`` in the data directory. The
operating system drops the lock when its holder dies, however it dies, and the others try
to take it each round, so the upkeep moves to a surviving worker within one interval.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import time
from pathlib import Path

from core.calendar import day_of, month_of
from core.store.base import KeepsRollups, SeriesStore, StoreError
from core.timebase import DAY

log = logging.getLogger(__name__)

#: Days back the keeper looks: a month's documents and the days before it.
KEEP_DAYS = 40
#: Whole months before those days that the keeper also builds, one more each round (then
#: again from the newest): a month never read (a backfill, an upgrade) would otherwise cost
#: its first reader the recompute from raw points (about a minute for 3,000 sites). 24 months
#: take 24 rounds (2 hours at the default 300 s); each round reads one month of raw points.
HISTORY_MONTHS = 24
LOCK_NAME = "rollup-keeper.lock"


class KeeperLock:
    """An exclusive, non-blocking ``flock`` on one file; the holder writes its pid into it (for operators)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_take(self) -> bool:
        """True when this process holds the lock now (taken now or before)."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor drops the flock
            self._fd = None


def holder_pid(data_dir: Path) -> int | None:
    """The pid the current (or last) holder wrote; None before anyone took the lock."""
    try:
        text = (data_dir / LOCK_NAME).read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


class RollupKeeper:
    def __init__(self, store: SeriesStore, interval_s: float, lock_path: Path | None = None) -> None:
        self.store, self.interval_s = store, interval_s
        #: None: no other process can share this store's upkeep (tests, one-off apps); keep always.
        self.lock = KeeperLock(lock_path) if lock_path is not None else None
        self.runs = 0
        #: How many months before the recent past the next round builds (1 .. HISTORY_MONTHS).
        self._older = 1

    @property
    def needed(self) -> bool:
        return isinstance(self.store, KeepsRollups)

    def take_charge(self) -> bool:
        """Whether this process keeps the rollups now; tries to take the lock when it does not."""
        if self.lock is None or self.lock.held:
            return True
        try:
            taken = self.lock.try_take()
        except OSError as exc:
            # An unwritable data directory must not stop the API; the next round tries again.
            log.warning("rollup keeper lock %s unavailable: %s", self.lock.path, exc)
            return False
        if taken:
            log.info("this worker (pid %d) keeps the carbon rollups", os.getpid())
        return taken

    def keep_once(self, now: float | None = None) -> None:
        end = int(time.time() if now is None else now)
        if not isinstance(self.store, KeepsRollups):
            raise TypeError(f"{type(self.store).__name__} keeps its own rollups: no keeper needed")
        recent = end - KEEP_DAYS * DAY
        self.store.keep_rollups(start=recent, end=end)
        older_end = month_of(day_of(recent))
        for _ in range(self._older - 1):
            older_end = month_of(older_end - DAY)
        self.store.keep_rollups(start=month_of(older_end - DAY), end=older_end)
        self._older = self._older % HISTORY_MONTHS + 1
        self.runs += 1

    async def run(self) -> None:
        """Every ``interval_s`` (the first time after one interval, not at start-up), if in charge."""
        self.take_charge()  # at start-up, so the lock's holder is known at once
        try:
            while True:
                await asyncio.sleep(self.interval_s)
                if not self.take_charge():
                    continue
                began = time.monotonic()
                try:
                    await asyncio.to_thread(self.keep_once)
                except StoreError as exc:
                    # The next round tries again; readers still recompute what they need.
                    log.warning("keeping carbon rollups failed: %s", type(exc).__name__)
                else:
                    log.info("carbon rollups kept in %.1f s (pid %d)", time.monotonic() - began, os.getpid())
        finally:
            if self.lock is not None:
                self.lock.release()
