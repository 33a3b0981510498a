"""The writer side of a worker: batches into the store, or into the spool while it is away.

Runs on the writer thread only. Lifecycle: ``start_up()`` once, ``handle()`` per batch and
``periodic()`` between batches, ``shut_down()`` once. ``handle`` answers whether the batch's
messages may be acknowledged: their readings are stored, spooled or dead-lettered.

Order is kept across outages: once anything is spooled, new batches are spooled behind it
until a replay has emptied the spool, so every reading is computed in arrival order.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.db.weather import write_temperatures
from core.domain import EnergyPoint, Reading
from core.settings import IngestSettings
from core.store.base import SeriesStore, StoreRejected
from core.wire import reading_topic
from ingest.buffer import InboundMessage
from ingest.deadletter import DeadLetter, RejectionLog, save_dead_letters
from ingest.deadletter_file import DeadLetterFile
from ingest.findings import STALE_METER, FindingBacklog, open_ingest_findings
from ingest.metrics import IngestMetrics
from ingest.processor import Admitted, BatchProcessor, Plan, point_payload
from ingest.reconcile import Reconciler
from ingest.retry import RETRYABLE, Aborted, OutOfBudget, Retrier
from ingest.spool import Spool, SpooledReading, SpoolFull
from ingest.staleness import StaleWatch
from ingest.validation import MeterDirectory

log = logging.getLogger(__name__)

#: Longest stretch of replaying before the writer takes the next received batch: keeps
#: the consumer (and its keep-alives) moving while a long spool drains.
REPLAY_SLICE_S = 1.0
#: Pauses between store probes while spooling: a recovered store is noticed within 5 s,
#: a dead one costs one cheap probe per 5 s.
PROBE_MIN_S, PROBE_MAX_S = 0.2, 5.0
#: Pauses between attempts to copy the dead-letter file to the database: each attempt
#: holds the writer for a connection attempt, so a database down for long costs one per 30 s.
LETTERS_PROBE_MIN_S, LETTERS_PROBE_MAX_S = 1.0, 30.0


class BatchWriter:
    """Stores, spools and replays batches; records dead letters and data findings."""

    def __init__(
        self,
        *,
        settings: IngestSettings,
        store: SeriesStore,
        directory: MeterDirectory,
        sessions: sessionmaker[Session],
        metrics: IngestMetrics,
        retry: Retrier,
        abort: threading.Event,
        clock: Callable[[], float],
        prefix: str,
        spool: Spool | None,
        letters: DeadLetterFile | None,
        retry_budget_s: float,
        shared: bool,
        stale: StaleWatch,
        stale_check_s: float,
        late_write_s: float,
        owns: Callable[[str], bool] | None = None,
    ) -> None:
        """``owns``: whether a site is this writer's (a writer process holds only some sites)."""
        self._owns = owns
        self._processor = BatchProcessor(settings, store, directory, self._run, clock, prefix)
        self._store = store
        self._directory = directory
        self._sessions = sessions
        self._metrics = metrics
        self._retry = retry
        self._abort = abort
        self._clock = clock
        self._prefix = prefix
        self.spool = spool
        self._budget_s = retry_budget_s
        tracker = self._processor.tracker
        self._reconciler = (
            Reconciler(store, directory.cached, self._run, tracker.usual_interval, late_write_s, abort.wait) if shared else None
        )
        # Through the reconciler when there is one: it must know of every failed write.
        self._put = self._reconciler.write if self._reconciler is not None else store.write
        self._stale = stale
        self._stale_check_s = stale_check_s
        self._rejection_log = RejectionLog()
        self._letters = letters
        self._next_letters_copy = 0.0
        self._letters_delay = LETTERS_PROBE_MIN_S
        # Budget of the store calls in progress: None (wait) without a spool to fall back on.
        self._budget: float | None = None
        self._next_probe = 0.0
        self._probe_delay = PROBE_MIN_S
        self._next_stale_check = time.monotonic() + stale_check_s
        self._findings = FindingBacklog(sessions, clock, on_saved=lambda f: metrics.findings.update((f.kind,)))
        self._full_logged = False

    def _run(self, what: str, operation: Callable[[], Any]) -> Any:
        return self._retry.run(what, operation, self._budget)

    # --- lifecycle ------------------------------------------------------------------

    def start_up(self) -> None:
        """Load every meter's newest point, adopt open stale findings, replay a left-over spool."""
        self._budget = self._budget_s if self.spool is not None else 0.0
        try:
            latest = self._run("store", self._store.latest)
            if self._owns is not None:
                # Other writer processes' meters: never seen here, they would all look stale.
                latest = {meter_id: p for meter_id, p in latest.items() if self._owns(p.site_id)}
            self._processor.tracker.seed(None, latest)
            self._processor.tracker.mark_seeded(self._directory.site_ids)
            self._stale.known(latest, self._clock())
        except (OutOfBudget, Aborted) as exc:
            log.warning("cannot load the newest points yet (%s); loading them site by site", exc)
        try:
            self._stale.adopt(open_ingest_findings(self._sessions, STALE_METER))
        except SQLAlchemyError as exc:
            log.warning("cannot load open stale-meter findings: %s", exc)
        if self.spool is not None and not self.spool.empty():
            log.warning("replaying %d bytes spooled by an earlier run", self.spool.size)
            self.replay(force=True)
        self._copy_letters()

    def shut_down(self) -> None:
        self._findings.flush(force=True)
        if self.spool is not None:
            self.spool.close()

    # --- batches --------------------------------------------------------------------

    def handle(self, batch: Sequence[InboundMessage]) -> bool:
        """Store or spool ``batch``; False when it must stay unacknowledged (stopping, nowhere to put it)."""
        intake = self._processor.admit(batch, self._announce)
        self._metrics.announcements += intake.announcements
        if intake.admitted and not self._store_or_spool(intake.admitted):
            return False
        if intake.weather:
            self._write_weather(intake.weather)
        self._reject(intake.rejected, intake.dead_letters)
        return True

    def _store_or_spool(self, admitted: list[Admitted]) -> bool:
        spool = self.spool
        budget, delay = self._budget_s, PROBE_MIN_S
        while True:
            if spool is not None and not spool.empty():
                self.replay(force=budget == 0)
            if spool is None or spool.empty():
                self._budget = None if spool is None else budget
                try:
                    self._write(admitted)
                    self._metrics.spool_full = self._full_logged = False
                    return True
                except OutOfBudget as exc:
                    assert spool is not None  # the budget runs out only with a spool to take the batch
                    log.warning("spooling to %s: %s", spool.directory, exc)
                except Aborted:
                    if spool is None:
                        raise
            if self._spool(admitted):
                return True
            # The spool is full or failing: wait for the store, holding the batch unacknowledged.
            if self._abort.wait(delay):
                return False
            budget, delay = 0.0, min(delay * 2, PROBE_MAX_S)

    def _write(self, admitted: Sequence[Admitted]) -> None:
        """Compute, write (and reconcile) the points of ``admitted``; all or nothing for the tracker."""
        tracker = self._processor.tracker
        tracker.begin()
        try:
            plan = self._processor.compute(admitted, shared=self._reconciler is not None)
            points = list(plan.points.values())
            written = self._store_points(points, plan)
            if self._reconciler is not None and admitted:
                # Every admitted reading, not only the points written: one found stored
                # already may be a redelivered point of a worker that died before checking it.
                reconciled = self._reconciler.reconcile([a.reading for a in admitted])
                self._metrics.reconciled += reconciled.corrected
                plan.findings.extend(reconciled.findings.values())
            tracker.commit()
        except BaseException:
            tracker.rollback()
            raise
        self._settle(plan, points, written)

    def _store_points(self, points: list[EnergyPoint], plan: Plan) -> int:
        if not points:
            return 0
        try:
            self._run("store", lambda: self._put(points))
            return len(points)
        except StoreRejected as exc:
            log.error("store refused a batch of %d points (%s); writing them one at a time", len(points), exc)
        written = 0
        for point in points:
            try:
                self._run("store", functools.partial(self._put, [point]))
                written += 1
            except StoreRejected as exc:
                topic = reading_topic(point.site_id, point.meter_id, self._prefix)
                plan.dead_letters.append(DeadLetter(topic, "store_rejected", str(exc), point_payload(point), int(self._clock())))
                plan.rejected.append("store_rejected")
        return written

    def _settle(self, plan: Plan, points: list[EnergyPoint], written: int) -> None:
        m = self._metrics
        m.stored += written
        m.duplicates += plan.duplicates
        m.resets += plan.resets
        m.rollovers += plan.rollovers
        m.out_of_order += plan.out_of_order
        if points:
            m.stored_up_to(max(p.ts for p in points))
            self._stale.arrived(points, self._clock())
        if plan.findings:
            self._findings.add(plan.findings)
        self._reject(plan.rejected, plan.dead_letters)

    # --- spool ----------------------------------------------------------------------

    def _spool(self, admitted: list[Admitted]) -> bool:
        """Append ``admitted`` to the spool; False when it is full or the disk fails."""
        assert self.spool is not None
        rows = [
            SpooledReading(a.reading.site_id, a.reading.meter_id, a.meter.category.value, a.reading.ts, a.reading.register)
            for a in admitted
        ]
        try:
            appended = self.spool.append(admitted[0].received_at, rows)
        except (SpoolFull, OSError) as exc:
            self._metrics.spool_full = True
            if not self._full_logged:
                log.error("cannot spool (%s): holding messages unacknowledged until the store is back", exc)
                self._full_logged = True
            return False
        self._metrics.spool_full = self._full_logged = False
        self._metrics.spooled += len(rows)
        self._metrics.spooled_bytes += appended
        return True

    def replay(self, force: bool = False) -> None:
        """Write spooled batches to the store, oldest first, for up to ``REPLAY_SLICE_S``."""
        spool = self.spool
        if spool is None or spool.empty() or self._abort.is_set():
            return
        now = time.monotonic()
        if not force and now < self._next_probe:
            return
        self._budget = 0.0  # one attempt: the spool keeps the data, so no waiting here
        deadline = now + REPLAY_SLICE_S
        for record in spool.pending():
            admitted = [
                Admitted(
                    Reading(r.site_id, r.meter_id, r.ts, r.register),
                    self._processor.replayed_meter(r.site_id, r.meter_id, r.category),
                    record.received_at,
                    None,
                )
                for r in record.readings
            ]
            try:
                self._write(admitted)
            except (OutOfBudget, Aborted):
                self._next_probe = time.monotonic() + self._probe_delay
                self._probe_delay = min(self._probe_delay * 2, PROBE_MAX_S)
                return
            spool.replayed(record)
            self._metrics.replayed += len(admitted)
            self._probe_delay = PROBE_MIN_S
            if time.monotonic() > deadline:
                break
        if spool.empty():
            log.warning("spool replayed: writing to the store directly again")

    # --- findings, dead letters, announcements -------------------------------------

    def periodic(self) -> None:
        """Between batches: replay what is spooled, look for stale meters, save findings."""
        self.replay()
        self._copy_letters()
        if time.monotonic() >= self._next_stale_check:
            self._next_stale_check = time.monotonic() + self._stale_check_s
            self._check_stale()
        self._findings.flush()

    def _check_stale(self) -> None:
        try:
            self._stale.adopt(open_ingest_findings(self._sessions, STALE_METER))
        except SQLAlchemyError as exc:
            log.warning("cannot load open stale-meter findings: %s", exc)
        site_of = lambda meter_id: m.site_id if (m := self._directory.cached(meter_id)) else None  # noqa: E731
        found, closed = self._stale.check(self._clock(), self._processor.tracker.newest(), site_of)
        self._findings.add(found, closed)

    def _write_weather(self, points: list) -> None:
        """Upsert measured temperatures, retried through database outages like announcements
        (the batch stays unacknowledged until they are written)."""

        def write() -> int:
            with self._sessions.begin() as session:
                return write_temperatures(session, points, "mqtt")

        self._metrics.weather_samples += self._retry.run("registry", write)

    def _announce(self, change: Callable[[], Any]) -> Any:
        """A registry change an announcement asks for (apply, retire), retried through outages."""
        return self._retry.run("registry", change)

    def dead_letter(self, letters: list[DeadLetter]) -> None:
        """Record ``letters`` (counted by their kind) as the writer records its own rejections."""
        self._reject([letter.kind for letter in letters], letters)

    def _reject(self, kinds: list[str], letters: list[DeadLetter]) -> None:
        if not letters:
            return
        for kind in kinds:
            self._metrics.rejected[kind] += 1
        for letter in letters:
            self._rejection_log(letter)
        file = self._letters
        try:
            # Behind letters already waiting in the file, so the table keeps their order.
            if file is None or not file.pending():
                save_dead_letters(self._sessions, letters)
                return
        except RETRYABLE as exc:
            if file is None:
                log.error("could not record %d dead letters (database unavailable): %s", len(letters), exc)
                return
            log.warning("dead-letter table unavailable (%s); keeping dead letters in %s until it is back", exc, file.path)
            self._next_letters_copy = time.monotonic() + self._letters_delay
        except SQLAlchemyError as exc:
            # Counted and logged already; the database refuses these rows, retrying will not help.
            log.error("could not record %d dead letters: %s", len(letters), exc)
            return
        try:
            file.append(letters)
        except OSError as exc:
            log.error("could not keep %d dead letters in %s: %s", len(letters), file.path, exc)

    def _copy_letters(self) -> None:
        """Copy the dead-letter file to the table when it is due; never raises for the database."""
        file = self._letters
        if file is None or time.monotonic() < self._next_letters_copy or not file.pending():
            return
        try:
            copied = file.copy_to(self._sessions)
        except (SQLAlchemyError, OSError) as exc:
            self._next_letters_copy = time.monotonic() + self._letters_delay
            self._letters_delay = min(self._letters_delay * 2, LETTERS_PROBE_MAX_S)
            log.debug("dead-letter table still unavailable: %s", exc)
            return
        self._letters_delay = LETTERS_PROBE_MIN_S
        log.warning("dead-letter table available again: copied %d dead letters from %s", copied, file.path)
