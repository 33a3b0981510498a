"""A ``SeriesStore`` whose writes bump the reading versions of what they wrote, off the writer's path.

A write returns once the store has the points; the (site, month)s it touched are then
bumped (``core.db.versions.bump_readings``) by a thread of the store's own, all that are
pending in one transaction, at most once per ``BUMP_EVERY_S``. So:

- a bump never precedes the write it covers (the (site, month) is only noted once the
  store write has returned): an answer kept under the versions is never staler than its data;
- with the database available, readings show in the API's answers within
  ``BUMP_EVERY_S`` plus one bump's own time (a few milliseconds) of their write returning;
- a bump that fails (the database away) is retried, with pauses growing to ``RETRY_MAX_S``;
  until it succeeds, the answers kept for those sites may be stale, by the API's age bound
  (``response_cache_max_age_s``) at most. So is a bump still pending when the process dies
  without ``close()``.

Before, every write bumped in its own transaction on the writer thread: a sixth of the
writer thread's time with gateway batches (``docs/benchmarks.md``, session 8).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from core.db.versions import bump_readings, site_months
from core.domain import EnergyPoint
from core.store.base import SeriesStore
from core.store.daily import DEFAULT_TIMEZONE, DayEnergy, SegmentEnergy

log = logging.getLogger(__name__)

#: Seconds between the starts of two bumps: a writer storing many batches a second bumps
#: five times a second, one transaction each, while a reading waits at most this long
#: (plus the bump itself) to show in the API's answers.
BUMP_EVERY_S = 0.2
#: Longest pause between attempts while the database is away: a recovered database is
#: noticed within 5 s, a dead one costs a connection attempt per 5 s.
RETRY_MAX_S = 5.0
#: Seconds ``close`` waits for the pending bumps.
CLOSE_WAIT_S = 5.0


class ReadingBumps:
    """The (site, month)s written and not yet bumped, and the thread that bumps them."""

    def __init__(self, sessions: sessionmaker[Session], every_s: float = BUMP_EVERY_S) -> None:
        self._sessions = sessions
        self._every_s = every_s
        self._cond = threading.Condition()
        self._pending: set[tuple[str, int]] = set()
        self._busy = False  # a bump in progress (its rows are not in _pending)
        self._waiting = 0  # callers of flush: the thread bumps without pausing
        self._stopped = False
        self._thread: threading.Thread | None = None

    def add(self, site_months: set[tuple[str, int]]) -> None:
        """Bump these (site, month)s soon (their points are stored)."""
        if not site_months:
            return
        with self._cond:
            self._pending |= site_months
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="reading-versions", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Bump what is pending now, without the usual pause; False when not done within ``timeout``."""
        with self._cond:
            self._waiting += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)
            finally:
                self._waiting -= 1

    def close(self, timeout: float = CLOSE_WAIT_S) -> None:
        """Bump what is pending (for up to ``timeout``), then stop the thread."""
        done = self.flush(timeout)
        with self._cond:
            self._stopped = True
            if not done:
                log.warning("closing with the reading versions of %d (site, month)s not bumped", len(self._pending))
            self._cond.notify_all()

    # --- the bumping thread ---------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._stopped)
                if self._stopped:
                    return
                rows, self._pending, self._busy = self._pending, set(), True
            started = time.monotonic()
            ok = self._bump(rows, failures)
            failures = 0 if ok else failures + 1
            with self._cond:
                self._busy = False
                if not ok:
                    self._pending |= rows
                self._cond.notify_all()
                if ok:
                    self._cond.wait_for(self._hurried, max(self._every_s - (time.monotonic() - started), 0.0))
                else:
                    # A flush does not hurry a retry: the database is away, trying again at once would spin.
                    self._cond.wait_for(lambda: self._stopped, min(self._every_s * 2**failures, RETRY_MAX_S))

    def _hurried(self) -> bool:
        """Whether to end the pause between bumps: stopping, or someone waits for what is pending."""
        return self._stopped or (self._waiting > 0 and bool(self._pending))

    def _bump(self, rows: set[tuple[str, int]], failures: int) -> bool:
        try:
            with self._sessions.begin() as session:
                bump_readings(session, rows)
        except Exception as exc:  # the data is stored; only the versions wait
            if failures == 0:
                log.warning("reading versions not bumped (%s); retrying until the database takes them", exc)
            else:
                log.debug("reading versions still not bumped: %s", exc)
            return False
        if failures:
            log.warning("reading versions bumped again after %d failed attempts", failures)
        return True


class VersionedStore:
    """A ``SeriesStore`` that bumps the reading versions of what it wrote, soon after each write.

    ``flush()`` waits until every write so far has its versions bumped; ``close()`` does
    too (for up to ``CLOSE_WAIT_S``) before closing the store.
    """

    def __init__(self, store: SeriesStore, sessions: sessionmaker[Session], every_s: float = BUMP_EVERY_S) -> None:
        self._store = store
        self._bumps = ReadingBumps(sessions, every_s)

    def write(self, points: Sequence[EnergyPoint]) -> None:
        self._store.write(points)
        self._bumps.add(site_months(points))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the versions of every write so far are bumped; False when not within ``timeout``."""
        return self._bumps.flush(timeout)

    def points(self, *, start: int, end: int, site_id: str | None = None, meter_id: str | None = None) -> list[EnergyPoint]:
        return self._store.points(start=start, end=end, site_id=site_id, meter_id=meter_id)

    def energy_by_meter(self, *, site_id: str, start: int, end: int) -> dict[str, float]:
        return self._store.energy_by_meter(site_id=site_id, start=start, end=end)

    def energy_by_day(self, *, start: int, end: int, site_id: str | None = None, tz: str = DEFAULT_TIMEZONE) -> list[DayEnergy]:
        return self._store.energy_by_day(start=start, end=end, site_id=site_id, tz=tz)

    def grid_import_by_day(
        self, *, start: int, end: int, site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
    ) -> dict[tuple[str, int], float]:
        return self._store.grid_import_by_day(start=start, end=end, site_ids=site_ids, tz=tz)

    def energy_by_segment(
        self, *, bounds: Sequence[int], site_ids: Sequence[str] | None = None, tz: str = DEFAULT_TIMEZONE
    ) -> list[SegmentEnergy]:
        return self._store.energy_by_segment(bounds=bounds, site_ids=site_ids, tz=tz)

    def grid_import_by_segment(
        self, *, bounds: Sequence[int], site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
    ) -> dict[tuple[str, int], float]:
        return self._store.grid_import_by_segment(bounds=bounds, site_ids=site_ids, tz=tz)

    def latest(self, *, site_id: str | None = None) -> dict[str, EnergyPoint]:
        return self._store.latest(site_id=site_id)

    def ping(self) -> None:
        self._store.ping()

    def close(self) -> None:
        try:
            self._bumps.close()
        finally:
            self._store.close()

    @property
    def inner(self) -> SeriesStore:
        """The store written to (for what only one backend has, e.g. InfluxDB rollup upkeep)."""
        return self._store
