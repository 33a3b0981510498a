"""Failed sign-ins per client address and per username: too many in a window answer 429 until it passes.

Kept in the API process (one uvicorn process per deployment); a restart forgets them,
which only gives a guesser one more window.

An attempt is counted when it begins, under the lock, and forgiven if the password was
right: counting after the (slow, argon2id) check let a burst of parallel guesses all pass
the limit before any was recorded.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import NamedTuple

#: Keys tracked at most; beyond it the stalest are dropped (an address flood cannot grow memory).
MAX_KEYS = 10_000


class Attempt(NamedTuple):
    """A sign-in attempt counted against ``keys`` at ``at`` (monotonic seconds)."""

    at: float
    keys: tuple[str, ...]


class SignInLimiter:
    """At most a key's limit of failed sign-ins within ``window_s`` seconds, and few checks at once."""

    def __init__(
        self, window_s: float, clock: Callable[[], float] = time.monotonic, concurrent_checks: int = 4
    ) -> None:
        self.window_s, self._clock = window_s, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        #: Each password check holds 19 MiB of argon2id memory for ~80 ms.
        self.checks = threading.BoundedSemaphore(concurrent_checks)

    def begin(self, limits: Mapping[str, int]) -> Attempt | int:
        """Count an attempt against every key, or return the seconds to wait if one is at its limit."""
        now = self._clock()
        with self._lock:
            wait = 0.0
            for key, limit in limits.items():
                times = self._recent(key, now)
                if times is not None and len(times) >= limit:
                    wait = max(wait, times[-limit] + self.window_s - now)
            if wait > 0:
                return max(1, math.ceil(wait))
            self._record(limits, now)
        return Attempt(now, tuple(limits))

    def forgive(self, attempt: Attempt, *clear: str) -> None:
        """The attempt succeeded: it no longer counts, and the ``clear`` keys lose every failure."""
        with self._lock:
            for key in attempt.keys:
                times = self._failures.get(key)
                if times is not None and attempt.at in times:
                    times.remove(attempt.at)
                    if not times:
                        del self._failures[key]
            for key in clear:
                self._failures.pop(key, None)

    def _record(self, keys, now: float) -> None:
        if len(self._failures) >= MAX_KEYS:
            stalest = sorted(self._failures, key=lambda k: self._failures[k][-1])[: MAX_KEYS // 10]
            for key in stalest:
                del self._failures[key]
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times
