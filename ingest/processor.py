"""Turning a batch of received messages into energy points and dead letters."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from core.domain import EnergyPoint, Meter, Reading
from core.settings import IngestSettings
from core.store.base import SeriesStore
from ingest.buffer import InboundMessage
from ingest.deadletter import DeadLetter, wire_kind
from ingest.energy import EnergyTracker, Step
from ingest.metrics import IngestMetrics
from ingest.retry import Retrier
from ingest.validation import MeterDirectory, check_reading

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """What a batch of messages asks of the store and the dead-letter table."""

    points: dict[tuple[str, int], EnergyPoint] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)


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
    registry calls go through ``retry``, which blocks through outages.
    """

    def __init__(
        self,
        settings: IngestSettings,
        store: SeriesStore,
        directory: MeterDirectory,
        metrics: IngestMetrics,
        retry: Retrier,
        clock: Callable[[], float],
    ) -> None:
        self._settings = settings
        self._store = store
        self._directory = directory
        self._metrics = metrics
        self._retry = retry
        self._clock = clock
        self._tracker = EnergyTracker()

    def process(self, batch: Sequence[InboundMessage]) -> Plan:
        plan = Plan()
        for message in batch:
            for rejection in message.decoded.rejections:
                self._reject(plan, message, wire_kind(rejection.reason), rejection.reason, rejection.payload)
            if message.decoded.meta is not None:
                self._announce(plan, message)
            for reading in message.decoded.readings:
                self._reading(plan, message, reading)
        return plan

    def _announce(self, plan: Plan, message: InboundMessage) -> None:
        site, meters = message.decoded.meta  # type: ignore[misc] - checked by the caller
        try:
            self._retry.run("registry", lambda: self._directory.announce(site, meters))
        except SQLAlchemyError as exc:
            self._reject(plan, message, "registry_rejected", f"registry refused the announcement: {exc}", message.payload)
            return
        self._metrics.announcement()
        log.info("site %s announced with %d meters", site.site_id, len(meters))

    def _reading(self, plan: Plan, message: InboundMessage, reading: Reading) -> None:
        meter = self._directory.meter(reading.meter_id)
        known_site = meter is not None or self._directory.has_site(reading.site_id)
        problem = check_reading(reading, meter, known_site, self._clock(), self._settings)
        if problem is not None:
            self._reject(plan, message, problem.kind, problem.detail, self._payload_of(message, reading))
            return
        assert meter is not None  # check_reading refuses unknown meters
        if self._tracker.needs_seed(reading.site_id):
            latest = self._retry.run("store", lambda: self._store.latest(site_id=reading.site_id))
            self._tracker.seed(reading.site_id, latest)
        outcome = self._tracker.classify(reading)
        if outcome.step is Step.DUPLICATE:
            self._metrics.duplicate()
        elif outcome.step is Step.CONFLICT:
            self._conflict(plan, message, reading)
        elif outcome.step is Step.OUT_OF_ORDER:
            self._late(plan, message, reading, meter)
        else:
            if outcome.step is Step.RESET:
                self._metrics.reset()
            plan.points[(reading.meter_id, reading.ts)] = _point(reading, meter, outcome.energy)

    def _late(self, plan: Plan, message: InboundMessage, reading: Reading, meter: Meter) -> None:
        """An older reading: a repeat of a known point is a duplicate, a new one gets energy 0.0.

        Energy 0.0 keeps sums right: the next newer point's delta already covers this interval.
        """
        key = (reading.meter_id, reading.ts)
        existing = plan.points.get(key) or self._stored_point(reading)
        if existing is None:
            self._metrics.out_of_order()
            plan.points[key] = _point(reading, meter, 0.0)
        elif existing.register == reading.register:
            self._metrics.duplicate()
        else:
            self._conflict(plan, message, reading)

    def _stored_point(self, reading: Reading) -> EnergyPoint | None:
        found = self._retry.run(
            "store", lambda: self._store.points(start=reading.ts, end=reading.ts + 1, meter_id=reading.meter_id)
        )
        return found[0] if found else None

    def _conflict(self, plan: Plan, message: InboundMessage, reading: Reading) -> None:
        detail = f"meter {reading.meter_id!r} already has another register at ts {reading.ts}"
        self._reject(plan, message, "conflicting_register", detail, self._payload_of(message, reading))

    def _reject(self, plan: Plan, message: InboundMessage, kind: str, reason: str, payload: bytes) -> None:
        plan.dead_letters.append(DeadLetter(message.topic, kind, reason, payload, message.received_at))
        self._metrics.rejected(kind)

    @staticmethod
    def _payload_of(message: InboundMessage, reading: Reading) -> bytes:
        single = len(message.decoded.readings) == 1 and not message.topic.endswith("/batch")
        return message.payload if single else reading_payload(reading)


def _point(reading: Reading, meter: Meter, energy: float) -> EnergyPoint:
    return EnergyPoint(
        site_id=reading.site_id,
        meter_id=reading.meter_id,
        category=meter.category.value,
        ts=reading.ts,
        register=reading.register,
        energy=energy,
    )
