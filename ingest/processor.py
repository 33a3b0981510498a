"""Turning received messages into energy points, findings and dead letters.

Two steps: ``admit`` applies announcements and validates readings (no store involved), and
``compute`` turns admitted readings into points, reading the store only to seed a meter's
newest register or to look at an older point. ``compute`` runs inside a tracker
transaction: when the points cannot be stored after all, ``rollback`` forgets the batch
so that it can be computed again later (from the spool) exactly as the first time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy.exc import SQLAlchemyError

from core.domain import EnergyPoint, Meter, MeterCategory, Reading, new_record
from core.settings import IngestSettings
from core.store.base import SeriesStore
from core.wire import reading_topic
from ingest.buffer import InboundMessage
from ingest.deadletter import DeadLetter, wire_kind
from ingest.energy import EnergyTracker, Step
from ingest.findings import OUT_OF_ORDER, REGISTER_RESET, REGISTER_ROLLOVER, Finding
from ingest.validation import MeterDirectory, check_reading

log = logging.getLogger(__name__)


class Admitted(NamedTuple):
    """A reading that passed validation, with its meter and where it came from."""

    reading: Reading
    meter: Meter
    received_at: int
    #: The message it arrived in; None when it comes back from the spool.
    message: InboundMessage | None


@dataclass
class Intake:
    """What validation made of a batch of messages."""

    admitted: list[Admitted] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    #: Rejections by kind (counted once the batch is settled).
    rejected: list[str] = field(default_factory=list)
    announcements: int = 0


@dataclass
class Plan:
    """What a batch of admitted readings asks of the store and the finding table."""

    points: dict[tuple[str, int], EnergyPoint] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    duplicates: int = 0
    resets: int = 0
    rollovers: int = 0
    out_of_order: int = 0


def reading_payload(reading: Reading) -> bytes:
    """A reading as a batch item would carry it (for dead letters of batch items)."""
    item: dict = {"meter": reading.meter_id, "ts": reading.ts, "register": reading.register}
    if reading.power_kw is not None:
        item["power"] = reading.power_kw
    return json.dumps(item).encode()


def point_payload(point: EnergyPoint) -> bytes:
    """A point as JSON (for dead letters of points the store refused)."""
    return json.dumps({"meter": point.meter_id, "ts": point.ts, "register": point.register, "energy": point.energy}).encode()


class BatchProcessor:
    """Applies announcements, validates readings and computes interval energy, in arrival order.

    Runs on the writer thread only, so the tracker and directory need no locks. Store and
    registry calls go through ``run`` (a retrier), which may raise for an unavailable store.
    """

    def __init__(
        self,
        settings: IngestSettings,
        store: SeriesStore,
        directory: MeterDirectory,
        run: Callable[[str, Callable[[], Any]], Any],
        clock: Callable[[], float],
        prefix: str,
    ) -> None:
        self._settings = settings
        self._store = store
        self._directory = directory
        self._run = run
        self._clock = clock
        self._prefix = prefix
        self.tracker = EnergyTracker()

    # --- admit ----------------------------------------------------------------------

    def admit(self, batch: Sequence[InboundMessage], announce: Callable[[Callable[[], Any]], Any]) -> Intake:
        """Validate every reading of ``batch``; announcements' registry changes run through ``announce``."""
        intake = Intake()
        now = self._clock()
        directory, settings = self._directory, self._settings
        oldest, newest = now - settings.max_age_s, now + settings.max_future_s
        admit = intake.admitted.append
        for message in batch:
            decoded = message.decoded
            for rejection in decoded.rejections:
                self._reject(intake, message.topic, message.received_at, rejection.kind or wire_kind(rejection.reason), rejection.reason, rejection.payload)
            if decoded.meta is not None or decoded.retire is not None:
                self._announce(intake, message, announce)
            cached = directory.meters.get  # after the announcement, which may add meters
            received_at = message.received_at
            for reading in decoded.readings:
                meter = cached(reading.meter_id)
                # The common case inline; check_reading (same rules) explains a refusal.
                if meter is not None and meter.site_id == reading.site_id and oldest <= reading.ts <= newest and reading.register >= 0:
                    admit(new_record(Admitted, (reading, meter, received_at, message)))
                    continue
                meter = directory.meter(reading.meter_id)  # may reload the registry for a new meter
                problem = check_reading(reading, meter, meter is not None or directory.has_site(reading.site_id), now, settings)
                if problem is None:
                    admit(Admitted(reading, meter, received_at, message))  # type: ignore[arg-type] - checked
                else:
                    self._reject(intake, message.topic, received_at, problem.kind, problem.detail, _payload_of(message, reading))
        return intake

    def _announce(self, intake: Intake, message: InboundMessage, announce: Callable[[Callable[[], Any]], Any]) -> None:
        decoded, directory = message.decoded, self._directory
        try:
            if decoded.retire is not None:
                site_id, now = decoded.retire, int(self._clock())
                if announce(lambda: directory.retire(site_id, now)):
                    log.info("site %s removed by an empty announcement", site_id)
                else:
                    reason = f"cannot remove site {site_id!r}: it was never announced"
                    self._reject(intake, message.topic, message.received_at, "unknown_site", reason, message.payload)
                return
            site, meters = decoded.meta  # type: ignore[misc] - checked by the caller
            claimed = announce(lambda: directory.announce(site, meters))
        except SQLAlchemyError as exc:
            reason = f"registry refused the announcement: {exc}"
            self._reject(intake, message.topic, message.received_at, "registry_rejected", reason, message.payload)
            return
        for meter_id, owner in sorted(claimed.items()):
            # The meter stays with its first site until an administrator moves it.
            reason = f"meter {meter_id!r} belongs to site {owner!r}; an administrator can move it to {site.site_id!r}"
            self._reject(intake, message.topic, message.received_at, "meter_claimed", reason, message.payload)
        intake.announcements += 1
        log.info("site %s announced with %d meters", site.site_id, len(meters) - len(claimed))

    # --- compute --------------------------------------------------------------------

    def compute(self, admitted: Sequence[Admitted], shared: bool) -> Plan:
        """Points for ``admitted``; call inside ``tracker.begin()`` ... ``commit()``/``rollback()``.

        ``shared``: another worker may hold the meter's neighbouring readings, so resets and
        rollovers are judged later, against the store (``Reconciler``), not here.
        """
        plan = Plan()
        points, tracker = plan.points, self.tracker
        classify = tracker.classify
        late: dict[str, list[int]] = {}
        seeded = None  # the site of the previous reading, known to be seeded: batches come by site
        for item in admitted:
            reading, meter = item.reading, item.meter
            if reading.site_id != seeded:
                if tracker.needs_seed(reading.site_id):
                    site_id = reading.site_id
                    latest = self._run("store", lambda: self._store.latest(site_id=site_id))
                    tracker.seed(site_id, latest)
                seeded = reading.site_id
            outcome = classify(reading, meter)
            step = outcome.step
            if step is _NEXT or step is _FIRST:
                points[(reading.meter_id, reading.ts)] = new_record(
                    EnergyPoint, (reading.site_id, reading.meter_id, _CATEGORY_VALUES[meter.category], reading.ts, reading.register, outcome.energy)
                )
            elif step is Step.DUPLICATE:
                plan.duplicates += 1
            elif step is Step.CONFLICT:
                self._conflict(plan, item)
            elif step is Step.OUT_OF_ORDER:
                if self._late(plan, item):
                    late.setdefault(reading.meter_id, []).append(reading.ts)
            else:
                points[(reading.meter_id, reading.ts)] = _point(reading, meter, outcome.energy)
                if not shared:
                    self._register_drop(plan, item, step, outcome.previous, outcome.energy)
        for meter_id, tss in late.items():
            meter = self._directory.meter(meter_id)
            site_id = meter.site_id if meter is not None else ""
            plan.findings.append(Finding(site_id, meter_id, OUT_OF_ORDER, min(tss), max(tss), {"readings": len(tss)}))
        return plan

    def _register_drop(self, plan: Plan, item: Admitted, step: Step, previous: float | None, energy: float) -> None:
        reading = item.reading
        if step is Step.RESET:
            plan.resets += 1
            kind = REGISTER_RESET
        else:
            plan.rollovers += 1
            kind = REGISTER_ROLLOVER
        detail = {"previous_register": previous, "register": reading.register, "energy": energy}
        if item.meter.register_max is not None:
            detail["register_max"] = item.meter.register_max
        plan.findings.append(Finding(reading.site_id, reading.meter_id, kind, reading.ts, reading.ts, detail))

    def _late(self, plan: Plan, item: Admitted) -> bool:
        """An older reading: a repeat of a known point is a duplicate, a new one gets energy 0.0.

        Energy 0.0 keeps sums right: the next newer point's delta already covers this interval.
        True when the reading is new (stored out of order).
        """
        reading = item.reading
        key = (reading.meter_id, reading.ts)
        existing = plan.points.get(key) or self._stored_point(reading)
        if existing is None:
            plan.out_of_order += 1
            plan.points[key] = _point(reading, item.meter, 0.0)
            return True
        if existing.register == reading.register:
            plan.duplicates += 1
        else:
            self._conflict(plan, item)
        return False

    def _stored_point(self, reading: Reading) -> EnergyPoint | None:
        found = self._run("store", lambda: self._store.points(start=reading.ts, end=reading.ts + 1, meter_id=reading.meter_id))
        return found[0] if found else None

    def _conflict(self, plan: Plan, item: Admitted) -> None:
        reading = item.reading
        detail = f"meter {reading.meter_id!r} already has another register at ts {reading.ts}"
        letter = DeadLetter(self.topic_of(item), "conflicting_register", detail, self.payload_of(item), item.received_at)
        plan.dead_letters.append(letter)
        plan.rejected.append("conflicting_register")

    # --- helpers --------------------------------------------------------------------

    def topic_of(self, item: Admitted) -> str:
        if item.message is not None:
            return item.message.topic
        return reading_topic(item.reading.site_id, item.reading.meter_id, self._prefix)

    @staticmethod
    def payload_of(item: Admitted) -> bytes:
        return reading_payload(item.reading) if item.message is None else _payload_of(item.message, item.reading)

    def replayed_meter(self, site_id: str, meter_id: str, category: str) -> Meter:
        """The meter of a spooled reading (its category is kept in the spool in case it is gone)."""
        meter = self._directory.meter(meter_id)
        return meter if meter is not None else Meter(meter_id, site_id, MeterCategory(category), 0.0)

    @staticmethod
    def _reject(intake: Intake, topic: str, received_at: int, kind: str, reason: str, payload: bytes) -> None:
        intake.dead_letters.append(DeadLetter(topic, kind, reason, payload, received_at))
        intake.rejected.append(kind)


def _payload_of(message: InboundMessage, reading: Reading) -> bytes:
    single = len(message.decoded.readings) == 1 and not message.topic.endswith("/batch")
    return message.payload if single else reading_payload(reading)


_NEXT, _FIRST = Step.NEXT, Step.FIRST
#: ``category.value`` goes through the enum's property machinery; a dict lookup does not.
_CATEGORY_VALUES = {c: c.value for c in MeterCategory}


def _point(reading: Reading, meter: Meter, energy: float) -> EnergyPoint:
    return EnergyPoint(reading.site_id, reading.meter_id, _CATEGORY_VALUES[meter.category], reading.ts, reading.register, energy)
