"""``FitBudget``: how much fitting one detection pass may do, so no pass runs long.

Fitting is what makes a pass slow: a site's baselines take about 0.15 s, its forest as
much again, and after a worker starts (or on the day every baseline goes stale) all of
them are due at once. A pass spends at most ``seconds`` on fits; what is left waits for
later passes, in the order the sites come, so every baseline gets its turn. Until then a
meter keeps its stale baseline, or, with none, borrows what similar meters draw, and a
site keeps its previous forest (or none). One site's baselines fit per pass whatever the
budget, so a budget of 0 still makes progress; forests, an extra, fit only within it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class FitBudget:
    """Seconds of fitting left in one pass (``None``: no limit)."""

    def __init__(self, seconds: float | None = None, *, min_fits: int = 1) -> None:
        self.seconds = seconds
        self.min_fits = min_fits
        self.spent = 0.0
        self.fits = 0
        #: Fits that asked and were told to wait (baselines or forests).
        self.deferred = 0

    def allows(self, *, essential: bool = True) -> bool:
        """Whether one more fit may run now; counts a refusal as deferred.

        Only ``essential`` fits (baselines) get the ``min_fits`` a pass always makes.
        """
        ok = self.seconds is None or self.spent < self.seconds or (essential and self.fits < self.min_fits)
        self.deferred += not ok
        return ok

    def charge(self, seconds: float) -> None:
        """Count one fit that took ``seconds``."""
        self.spent += seconds
        self.fits += 1

    @contextmanager
    def fitting(self) -> Iterator[None]:
        """Charge the time of the block to the budget."""
        began = time.perf_counter()
        try:
            yield
        finally:
            self.charge(time.perf_counter() - began)
