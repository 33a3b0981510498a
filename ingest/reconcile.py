"""Energy made right against the store when readings of one meter reach several workers.

With a shared subscription, a worker's newest in-memory reading of a meter need not be the
stored predecessor of the next one it receives: another worker may have written readings
in between. Each worker therefore checks, after writing, every reading of the batch (the
points it wrote and the ones it found stored already) and the stored successor of each
against the store, rewrites the ones whose energy is not the energy since their stored
predecessor, and repeats, checking the rewritten points as well, until one read shows no
difference among all the points it wrote or rewrote. Only then are the batch's messages
acknowledged.

Why that is enough (with a linearizable store, as single-node InfluxDB and SQLite are):
take a point X whose final energy were wrong, and the last write of X, by worker W. W read
the store after that write and saw X agree with its predecessor then (every point a worker
writes, rewrites included, is checked again by a later read of its own); so a point Z
became X's predecessor later. Z's writer read Z's successor after writing Z: that read saw
X (written before; points are never deleted, and nothing can lie between Z and X that is
not there at the end) disagreeing with Z, so that worker rewrote X after W's last write.
A contradiction: no final energy is wrong.

"A later read of its own" also holds for a worker that dies between writing and reading:
its batch is unacknowledged, so the broker hands the messages to a worker of the group,
whose read after its own write stands in for the dead one's. That worker may find the
readings stored already (the dead one wrote them) and write nothing; it must check them
all the same, which is why every reading of a batch is checked, not only the points
written (without this, a worker killed between its write and its read left wrong
energies behind in tests/faults/test_shared_group.py: see docs/fault-tests.md, item 5).
It stands in for the dead worker's first read only: a point further on that the dead one
rewrote in a later round is not checked again, and stays wrong if another worker inserted
a point just before it at that moment (a race left open).

The proof counts a write when it lands in the store, and a request that failed on the
client (a timeout, a dropped connection; ``run`` retries it like an outage) may land
later: InfluxDB carries out a write whose client has gone, and goes on with one it has
answered "timeout" to after its ``[coordinator] write-timeout``. Landing after the read
above, it would put back the energies that read corrected. So every failed write
attempt is noted, and a reconciliation whose last read began before ``late_write_s``
had passed since the latest failed attempt (of this batch, or of an earlier one, which
may since have gone to the spool) waits until then and reads again. The assumption: a
request lands or is dropped within ``late_write_s`` of failing. The normal path, with no
failed write, never waits.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from core.domain import EnergyPoint, Meter, Reading
from core.store.base import SeriesStore
from core.timebase import DAY, HOUR
from ingest.energy import Step, interval_energy
from ingest.findings import REGISTER_RESET, REGISTER_ROLLOVER, Finding
from ingest.retry import RETRYABLE, Aborted

log = logging.getLogger(__name__)

T = TypeVar("T")


class StoreRunner(Protocol):
    """Runs one store operation (named for logs and metrics) under the caller's retry policy."""

    def __call__(self, what: str, operation: Callable[[], T], /) -> T: ...


#: History read before a batch's oldest point to find predecessors when a meter's usual
#: interval is unknown: a longer silence costs a few widening per-meter queries.
LOOKBACK_S = 6 * HOUR
#: With the usual intervals known, the window reaches back this many of the longest one:
#: the predecessor is one interval back, or two after a missed reading. Every point read is
#: parsed, and a 6-hour window of 15-minute data is 24 points per meter for each one written.
LOOKBACK_INTERVALS = 3
#: Shortest lookback, whatever the intervals (readings every few seconds still get a minute).
MIN_LOOKBACK_S = 60
#: Each widening multiplies the lookback by this, up to ``MAX_LOOKBACK_S``.
WIDEN = 16
MAX_LOOKBACK_S = 800 * DAY
#: Far end of the window (epoch seconds in 2100): successors can be anywhere later.
_FAR = 4_102_444_800
#: Rounds after which reconciliation gives up (and says so): each round needs a concurrent
#: insert next to our points to be followed by another, so more than a few means a bug.
MAX_ROUNDS = 20
#: Energies closer than this are the same (they are rounded to 6 decimals when computed).
_TOLERANCE = 1e-7
#: Seconds within which a failed write request has landed or been dropped (module doc):
#: twice InfluxDB's default ``[coordinator] write-timeout``, after which it has given up
#: waiting for the write itself. Longer costs only a longer pause after a failed write.
LATE_WRITE_S = 20.0


@dataclass
class Reconciled:
    """What a reconciliation changed."""

    corrected: int = 0
    rounds: int = 0
    findings: dict[tuple[str, str, int], Finding] = field(default_factory=dict)


class Reconciler:
    """Rewrites the stored points at a batch's readings (written now or found stored) and their
    successors until each agrees with its stored predecessor."""

    def __init__(
        self,
        store: SeriesStore,
        meter_of: Callable[[str], Meter | None],
        run: StoreRunner,
        interval_of: Callable[[str], int | None] = lambda _meter_id: None,
        late_write_s: float = LATE_WRITE_S,
        wait: Callable[[float], bool] = threading.Event().wait,  # noqa: B008 - one never-set Event: a plain sleep
    ) -> None:
        """``interval_of``: a meter's usual reporting interval in seconds, None when unknown;
        it only sizes the window read, never decides an energy. ``wait``: sleeps, True when
        the worker is stopping instead."""
        self._store = store
        self._meter_of = meter_of
        self._run = run
        self._interval_of = interval_of
        self._late_write_s = late_write_s
        self._wait = wait
        #: Monotonic time of the latest write attempt that failed (its request may still land).
        self._failed_at = -float("inf")

    def write(self, points: Sequence[EnergyPoint]) -> None:
        """One attempt at ``store.write``, noted when it fails (call it through ``run``)."""
        try:
            self._store.write(points)
        except RETRYABLE:
            self._failed_at = time.monotonic()
            raise

    def reconcile(self, batch: Sequence[Reading | EnergyPoint]) -> Reconciled:
        """Check the stored points at ``batch``'s keys (site, meter, ts) and their successors
        against the store; raises what ``run`` raises for an unavailable store."""
        touched: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        for p in batch:
            touched[p.site_id][p.meter_id].add(p.ts)
        result = Reconciled()
        while True:
            began = time.monotonic()
            if not self._converge(touched, result):
                log.error("energy of %d points still changing after %d reconciliation rounds", len(batch), MAX_ROUNDS)
                return result
            settled = self._failed_at + self._late_write_s
            if settled <= began:
                return result
            log.warning(
                "a failed store write may still land: checking %d readings again in %.1fs", len(batch), settled - time.monotonic()
            )
            if self._wait(settled - time.monotonic()):
                raise Aborted("stopping while a failed store write may still land")

    def _converge(self, touched: dict[str, dict[str, set[int]]], result: Reconciled) -> bool:
        """Read and rewrite until a read finds nothing to correct (True) or ``MAX_ROUNDS`` pass."""
        while result.rounds < MAX_ROUNDS:
            result.rounds += 1
            corrections = [c for site, meters in touched.items() for c in self._site(site, meters, result)]
            if not corrections:
                return True
            self._run("store", functools.partial(self.write, corrections))
            result.corrected += len(corrections)
            # A rewritten point is ours to check from now on too: a point inserted before it
            # meanwhile may have been checked by its writer before our rewrite landed.
            for c in corrections:
                touched[c.site_id][c.meter_id].add(c.ts)
        return False

    def _lookback(self, meter_ids: Iterable[str]) -> int:
        longest = 0
        for meter_id in meter_ids:
            interval = self._interval_of(meter_id)
            if interval is None or interval <= 0:
                return LOOKBACK_S
            longest = max(longest, interval)
        return min(LOOKBACK_S, max(MIN_LOOKBACK_S, LOOKBACK_INTERVALS * longest))

    def _site(self, site_id: str, meters: dict[str, set[int]], result: Reconciled) -> list[EnergyPoint]:
        # A window that misses a meter's predecessor is widened for that meter (_predecessor),
        # so its length changes what is read, not what is decided.
        lo = min(min(tss) for tss in meters.values()) - self._lookback(meters)
        window = self._run("store", lambda: self._store.points(start=lo, end=_FAR, site_id=site_id))
        series: dict[str, list[EnergyPoint]] = defaultdict(list)
        for p in window:
            series[p.meter_id].append(p)
        corrections: list[EnergyPoint] = []
        for meter_id, tss in meters.items():
            points = series.get(meter_id, [])
            if not points or points[0].ts >= min(tss):
                points = self._predecessor(meter_id, lo) + points
            corrections.extend(self._meter(meter_id, points, tss, result))
        return corrections

    def _predecessor(self, meter_id: str, window_start: int) -> list[EnergyPoint]:
        """The newest stored point of a meter before ``window_start`` (as a list of at most one)."""
        lookback, end = LOOKBACK_S, window_start
        while lookback < MAX_LOOKBACK_S:
            lookback *= WIDEN
            start = window_start - lookback
            found = self._run("store", functools.partial(self._store.points, start=start, end=end, meter_id=meter_id))
            if found:
                return found[-1:]
            end = start
        return []

    def _meter(self, meter_id: str, points: list[EnergyPoint], tss: set[int], result: Reconciled) -> list[EnergyPoint]:
        meter = self._meter_of(meter_id)
        corrections = []
        previous: EnergyPoint | None = None
        changed = 0  # when the register last changed (as the tracker judges a rise)
        check_next = False
        for point in points:
            if point.ts in tss or check_next:
                expected, step = 0.0, Step.FIRST
                if previous is not None:
                    step, expected = interval_energy(previous.register, point.register, point.ts - changed, meter)
                if abs(expected - point.energy) > _TOLERANCE:
                    corrections.append(point._replace(energy=expected))
                if previous is not None and step in (Step.RESET, Step.ROLLOVER, Step.IMPLAUSIBLE):
                    # A stored point that rose implausibly started again higher (the tracker
                    # stores such a reading only then): no energy, like a reset.
                    kind = REGISTER_ROLLOVER if step is Step.ROLLOVER else REGISTER_RESET
                    detail = {"previous_register": previous.register, "register": point.register, "energy": expected}
                    result.findings[(meter_id, kind, point.ts)] = Finding(
                        point.site_id, meter_id, kind, point.ts, point.ts, detail
                    )
            check_next = point.ts in tss
            if previous is None or point.register != previous.register:
                changed = point.ts
            previous = point
        return corrections
