"""Failed sign-ins per client address and per username: too many in a window answer 429 until it passes.

Kept in the API process (one uvicorn process per deployment); a restart forgets them,
which only gives a guesser one more window.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

#: Keys tracked at most; beyond it the stalest are dropped (an address flood cannot grow memory).
MAX_KEYS = 10_000


class SignInLimiter:
    """At most ``max_failures`` failed sign-ins per key within ``window_s`` seconds."""

    def __init__(self, max_failures: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures, self.window_s, self._clock = max_failures, window_s, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int | None:
        """Seconds until a blocked key may try again (the largest among ``keys``), or None when none is blocked."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if times is not None and len(times) >= self.max_failures:
                    wait = max(wait, times[0] + self.window_s - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) >= MAX_KEYS:
                stalest = sorted(self._failures, key=lambda k: self._failures[k][-1])[: MAX_KEYS // 10]
                for key in stalest:
                    del self._failures[key]
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, key: str) -> None:
        """A right password clears that username's failures (the address keeps its own)."""
        with self._lock:
            self._failures.pop(key, None)

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
