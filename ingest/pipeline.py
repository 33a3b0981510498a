"""One store write in flight while the writer thread computes the next points of the same batch.

A large batch (a backlog of gateway batches) is computed and written in chunks of
``CHUNK_READINGS``: chunk k is written on a thread of its own while the writer thread
computes chunk k+1, so the writer no longer idles for InfluxDB's answer (a quarter of its
time with gateway batches, ``docs/benchmarks.md``, session 8). The rules that keep this as
safe as one write per batch:

- at most one store call at a time: a chunk is sent once the previous one has landed, the
  last chunk is written by the writer thread itself, and every store read of the batch
  (seeding a site, placing late readings, reconciling) waits for the write in flight
  (``land``), so it sees every earlier chunk;
- the batch stays one tracker transaction and is acknowledged (by the caller) only after
  every chunk's write has returned;
- a chunk whose write fails is written again through the caller's retrying path (budget,
  spool, one point at a time for a refused batch), and so is every chunk after it in that
  batch, in order; should that give up, the whole batch is rolled back and spooled as
  before, its earlier chunks written twice with the same values (as a timed-out write
  that lands late: points are keyed by meter and time).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from core.domain import EnergyPoint
from core.store.base import StoreRejected
from ingest.processor import Plan
from ingest.retry import RETRYABLE

log = logging.getLogger(__name__)

#: Readings computed and written as one chunk: a 5,000-reading batch goes out in five
#: requests, four of them while the next chunk is computed. Smaller chunks hide more of the
#: wait for the last request but cost InfluxDB a request each.
CHUNK_READINGS = 1000
#: Name (prefix) of the thread that writes the chunks sent ahead.
WRITE_THREAD = "ingest-store-write"


@dataclass
class Chunk:
    """A part of a batch: its plan, its points and how many of them were stored."""

    plan: Plan
    points: list[EnergyPoint] = field(default_factory=list)
    written: int = 0


def chunked(items: Sequence) -> list[Sequence]:
    """``items`` in consecutive slices of at most ``CHUNK_READINGS`` (one, possibly empty, for a short batch)."""
    size = CHUNK_READINGS
    return [items[i : i + size] for i in range(0, len(items), size)] or [items]


class InFlight:
    """At most one chunk's store write in flight; ``land`` waits for it.

    ``put``: one attempt at writing points; ``store_points``: the retrying path (the writer's
    ``_store_points``) that writes a chunk the writer thread waits for, or one that failed.
    """

    def __init__(
        self,
        put: Callable[[list[EnergyPoint]], None],
        store_points: Callable[[list[EnergyPoint], Plan], int],
        on_failure: Callable[[], None],
    ) -> None:
        self._put = put
        self._store_points = store_points
        self._on_failure = on_failure
        self._executor: ThreadPoolExecutor | None = None
        self._flight: tuple[Future, Chunk] | None = None
        #: A write of this batch failed: the rest of the batch is written directly, in order.
        self._direct = False

    def begin(self) -> None:
        """A new batch: chunks may be sent ahead again."""
        self._direct = False

    def send(self, chunk: Chunk, last: bool) -> None:
        """Write ``chunk`` once the previous one has landed: ahead on the write thread, or now when ``last``."""
        self.land()
        if not chunk.points:
            return
        if last or self._direct:
            chunk.written = self._store_points(chunk.points, chunk.plan)
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix=WRITE_THREAD)
        self._flight = (self._executor.submit(self._put, chunk.points), chunk)

    def land(self) -> None:
        """Wait for the write in flight; when it failed, write it again through the retrying path."""
        if self._flight is None:
            return
        future, chunk = self._flight
        self._flight = None
        try:
            future.result()
            chunk.written = len(chunk.points)
            return
        except (*RETRYABLE, StoreRejected) as exc:
            log.debug("a store write sent ahead failed (%s); writing the rest of the batch in order", exc)
            if not isinstance(exc, StoreRejected):
                self._on_failure()
        self._direct = True
        chunk.written = self._store_points(chunk.points, chunk.plan)

    def abandon(self) -> None:
        """The batch failed: wait for the write in flight, whatever its outcome (the batch is written again)."""
        if self._flight is not None:
            future, _chunk = self._flight
            self._flight = None
            future.exception()

    def close(self) -> None:
        self.abandon()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
