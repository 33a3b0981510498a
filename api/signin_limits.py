"""Failed sign-ins per client address and per username: too many in a window answer 429 until it passes.

The counts live in one file in the data directory, read and rewritten under ``flock``, so
every worker of ``kilowatch serve --workers N`` (and a restarted one) sees the same
counts: kept per process, N workers allowed N times the guesses. The trade-off: processes
on one host share them (one data directory); API processes on several hosts would each
keep their own file and need the database instead. Sign-ins are rare and each costs an
argon2id check (~80 ms), so a small JSON file rewritten per attempt costs nothing that
shows.

An attempt is counted when it begins, under the lock, and forgiven if the password was
right: counting after the (slow) check let a burst of parallel guesses all pass the limit
before any was recorded.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

#: Keys tracked at most; beyond it the stalest are dropped (an address flood cannot grow the file).
MAX_KEYS = 10_000
#: The file's name in the data directory.
FILE_NAME = "sign-in-failures.json"


class Attempt(NamedTuple):
    """A sign-in attempt counted against ``keys`` at ``at`` (wall-clock seconds, shared by processes)."""

    at: float
    keys: tuple[str, ...]


class SignInLimiter:
    """At most a key's limit of failed sign-ins within ``window_s`` seconds, and few checks at once."""

    def __init__(self, window_s: float, path: Path, clock: Callable[[], float] = time.time, concurrent_checks: int = 4) -> None:
        self.window_s, self.path, self._clock = window_s, Path(path), clock
        # flock excludes other processes and other open files of this one; the thread lock
        # only saves threads of one worker from queueing in the kernel.
        self._lock = threading.Lock()
        #: Each password check holds 19 MiB of argon2id memory for ~80 ms: per process, as the memory is.
        self.checks = threading.BoundedSemaphore(concurrent_checks)

    def begin(self, limits: Mapping[str, int]) -> Attempt | int:
        """Count an attempt against every key, or return the seconds to wait if one is at its limit."""
        with self._failures() as failures:
            now = self._clock()
            for key in [k for k, times in failures.items() if not times or times[-1] <= now - self.window_s]:
                del failures[key]  # out of the window: the file holds only what still counts
            wait = 0.0
            for key, limit in limits.items():
                times = _recent(failures, key, now - self.window_s)
                if len(times) >= limit:
                    wait = max(wait, times[-limit] + self.window_s - now)
            if wait > 0:
                return max(1, math.ceil(wait))
            _record(failures, limits, now)
        return Attempt(now, tuple(limits))

    def forgive(self, attempt: Attempt, *clear: str) -> None:
        """The attempt succeeded: it no longer counts, and the ``clear`` keys lose every failure."""
        with self._failures() as failures:
            for key in attempt.keys:
                times = failures.get(key)
                if times is not None and attempt.at in times:
                    times.remove(attempt.at)
                    if not times:
                        del failures[key]
            for key in clear:
                failures.pop(key, None)

    @contextmanager
    def _failures(self) -> Iterator[dict[str, list[float]]]:
        """The failures by key, for reading and changing; written back when the block ends."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Owner-only: it names client addresses and usernames (never passwords).
        with self._lock, open(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), "r+", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # released when the file closes
            f.seek(0)
            text = f.read()
            try:
                failures = json.loads(text) if text else {}
            except ValueError:
                # A torn write (power cut) forgets the failures: one more window for a guesser.
                log.warning("sign-in failures in %s unreadable; starting afresh", self.path)
                failures = {}
            before = {k: len(v) for k, v in failures.items()}
            yield failures
            if before != {k: len(v) for k, v in failures.items()}:
                f.seek(0)
                f.truncate()
                # No fsync: a process that dies keeps the page cache; only a power cut can
                # lose or tear the counts, which gives a guesser one more window.
                f.write(json.dumps(failures, separators=(",", ":")))


def _recent(failures: dict[str, list[float]], key: str, since: float) -> list[float]:
    """The key's failures after ``since``, oldest first (older ones are dropped)."""
    times = [t for t in failures.get(key, ()) if t > since]
    if times:
        failures[key] = times
    else:
        failures.pop(key, None)
    return times


def _record(failures: dict[str, list[float]], keys: Mapping[str, int], now: float) -> None:
    if len(failures) >= MAX_KEYS:
        stalest = sorted(failures, key=lambda k: failures[k][-1])[: MAX_KEYS // 10]
        for key in stalest:
            del failures[key]
    for key in keys:
        failures.setdefault(key, []).append(now)
