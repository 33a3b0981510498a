"""Retrying store and registry calls through outages, with capped exponential backoff."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from core.store.base import StoreUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

#: First pause after a failure: short, so a blip (a locked SQLite file, a restarting
#: InfluxDB) costs little latency.
INITIAL_DELAY_S = 0.2
#: Longest pause: bounds how late we notice a recovered store, while a long outage
#: costs at most one attempt per this many seconds.
MAX_DELAY_S = 30.0

#: Errors that say "the data is fine, try again later".
RETRYABLE = (StoreUnavailable, OperationalError)


class Aborted(Exception):
    """The worker is stopping and gave up waiting for an unavailable dependency."""


class OutOfBudget(Exception):
    """The dependency stayed unavailable for longer than the caller's retry budget."""


class Retrier:
    """Runs an operation until it succeeds; logs once when an outage starts and once when it ends."""

    def __init__(
        self,
        abort: threading.Event,
        on_failure: Callable[[], None] = lambda: None,
        initial_delay_s: float = INITIAL_DELAY_S,
        max_delay_s: float = MAX_DELAY_S,
    ) -> None:
        self._abort = abort
        self._on_failure = on_failure
        self._initial = initial_delay_s
        self._max = max_delay_s
        #: Dependency name -> (monotonic start of the outage, failed attempts).
        self._outages: dict[str, tuple[float, int]] = {}

    def run(self, what: str, operation: Callable[[], T], budget_s: float | None = None) -> T:
        """The operation's result, retried through outages.

        Raises ``Aborted`` when ``abort`` is set during an outage, and ``OutOfBudget`` once
        the outage has lasted ``budget_s`` (None: no budget; 0: a single attempt).
        """
        delay = self._initial
        give_up = None if budget_s is None else time.monotonic() + budget_s
        while True:
            try:
                result = operation()
            except RETRYABLE as exc:
                self._failed(what, exc)
                pause = delay
                if give_up is not None:
                    left = give_up - time.monotonic()
                    if left <= 0:
                        raise OutOfBudget(f"{what} unavailable for longer than {budget_s:g}s: {exc}") from exc
                    pause = min(delay, left)
                if self._abort.wait(pause):
                    raise Aborted(f"{what} still unavailable while stopping") from exc
                delay = min(delay * 2, self._max)
                continue
            self._recovered(what)
            return result

    def _failed(self, what: str, exc: Exception) -> None:
        self._on_failure()
        started, attempts = self._outages.get(what, (time.monotonic(), 0))
        if attempts == 0:
            log.warning("%s unavailable, holding messages unacknowledged and retrying: %s", what, exc)
        self._outages[what] = (started, attempts + 1)

    def _recovered(self, what: str) -> None:
        outage = self._outages.pop(what, None)
        if outage is not None:
            started, attempts = outage
            log.warning("%s available again after %d failed attempts over %.1fs", what, attempts, time.monotonic() - started)
