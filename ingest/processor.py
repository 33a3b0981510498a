"""Turning received messages into energy points, findings and dead letters.

Two steps: ``admit`` applies announcements and validates readings (no store involved), and
``compute`` turns admitted readings into points, reading the store only to seed a meter's
newest register or to place late readings among their stored neighbours. ``compute`` runs inside a tracker
transaction: when the points cannot be stored after all, ``rollback`` forgets the batch
so that it can be computed again later (from the spool) exactly as the first time.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy.exc import SQLAlchemyError

from core.domain import EnergyPoint, Meter, MeterCategory, Reading, new_record
from core.settings import IngestSettings
from core.store.base import SeriesStore
from core.store.neighbours import around
from core.wire import reading_topic
from ingest.buffer import InboundMessage
from ingest.deadletter import DeadLetter, wire_kind
from ingest.energy import EnergyTracker, Outcome, Step
from ingest.findings import OUT_OF_ORDER, REGISTER_RESET, REGISTER_ROLLOVER, Finding
from ingest.late import place_late
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
    #: Measured outdoor temperatures of known sites (``core.weather.TemperaturePoint``), to store.
    weather: list = field(default_factory=list)


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
                self._reject(
                    intake,
                    message.topic,
                    message.received_at,
                    rejection.kind or wire_kind(rejection.reason),
                    rejection.reason,
                    rejection.payload,
                )
            if decoded.meta is not None or decoded.retire is not None:
                self._announce(intake, message, announce)
            if decoded.weather:
                self._admit_weather(intake, message, oldest, newest)
            cached = directory.meters.get  # after the announcement, which may add meters
            received_at = message.received_at
            for reading in decoded.readings:
                meter = cached(reading.meter_id)
                # The common case inline; check_reading (same rules) explains a refusal.
                if (
                    meter is not None
                    and meter.site_id == reading.site_id
                    and oldest <= reading.ts <= newest
                    and reading.register >= 0
                ):
                    admit(new_record(Admitted, (reading, meter, received_at, message)))
                    continue
                meter = directory.meter(reading.meter_id)  # may reload the registry for a new meter
                problem = check_reading(reading, meter, meter is not None or directory.has_site(reading.site_id), now, settings)
                if problem is None:
                    assert meter is not None  # check_reading rejects a reading of an unknown meter
                    admit(Admitted(reading, meter, received_at, message))
                else:
                    self._reject(intake, message.topic, received_at, problem.kind, problem.detail, _payload_of(message, reading))
        return intake

    def _admit_weather(self, intake: Intake, message: InboundMessage, oldest: float, newest: float) -> None:
        """A weather message's samples of an announced site within the accepted time window."""
        for point in message.decoded.weather:
            if not self._directory.has_site(point.site_id):
                reason = f"weather for site {point.site_id!r}, which was never announced"
                self._reject(intake, message.topic, message.received_at, "unknown_site", reason, message.payload)
                return
            if not oldest <= point.ts <= newest:
                kind = "too_old" if point.ts < oldest else "future_timestamp"
                reason = f"weather sample at {point.ts} is outside the accepted window"
                payload = json.dumps({"ts": point.ts, "temp_c": point.temp_c}).encode()
                self._reject(intake, message.topic, message.received_at, kind, reason, payload)
                continue
            intake.weather.append(point)

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
            assert decoded.meta is not None  # checked by the caller
            site, meters = decoded.meta
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
        points = plan.points
        late: dict[str, list[Admitted]] = {}
        seeded = None  # the site of the previous reading, known to be seeded: batches come by site
        for item in admitted:
            site_id = item.reading.site_id
            if site_id != seeded:
                self._seed(site_id)
                seeded = site_id
        categories = _CATEGORY_VALUES
        for item, outcome in zip(admitted, self.tracker.classify_all(admitted), strict=True):
            if isinstance(outcome, float):
                site_id, meter_id, ts, register, _power = item[0]
                points[(meter_id, ts)] = new_record(
                    EnergyPoint, (site_id, meter_id, categories[item[1].category], ts, register, outcome)
                )
            elif outcome.step is _FIRST or outcome.step is _NEXT:  # NEXT: after a jump, by classify()
                reading = item.reading
                points[(reading.meter_id, reading.ts)] = _point(reading, item.meter, outcome.energy)
            else:
                self._unusual(plan, item, outcome, late, shared)
        if late:
            self._place_late(plan, late, shared)
        return plan

    def _seed(self, site_id: str) -> None:
        """Load the site's newest stored points into the tracker, unless it holds them already."""
        if self.tracker.needs_seed(site_id):
            latest = self._run("store", functools.partial(self._store.latest, site_id=site_id))
            self.tracker.seed(site_id, latest)

    def _unusual(self, plan: Plan, item: Admitted, outcome: Outcome, late: dict[str, list[Admitted]], shared: bool) -> None:
        """A reading that is not simply the meter's next (or first): a duplicate, a conflict, a late
        one (kept in ``late`` for ``_place_late``), an implausible register or a register drop."""
        reading, meter, step = item.reading, item.meter, outcome.step
        if step is Step.DUPLICATE:
            plan.duplicates += 1
        elif step is Step.CONFLICT:
            self._conflict(plan, item)
        elif step is Step.OUT_OF_ORDER:
            late.setdefault(reading.meter_id, []).append(item)
        elif step is Step.IMPLAUSIBLE:
            self._implausible(plan, item, outcome.previous)
        else:
            plan.points[(reading.meter_id, reading.ts)] = _point(reading, meter, outcome.energy)
            if not shared:
                self._register_drop(plan, reading, meter, step, outcome.previous, outcome.energy)

    @staticmethod
    def _register_drop(
        plan: Plan, reading: Reading | EnergyPoint, meter: Meter, step: Step, previous: float | None, energy: float
    ) -> None:
        if step is Step.ROLLOVER:
            plan.rollovers += 1
            kind = REGISTER_ROLLOVER
        else:  # a reset, or a register that starts again higher (a jump): no energy either way
            plan.resets += 1
            kind = REGISTER_RESET
        detail = {"previous_register": previous, "register": reading.register, "energy": energy}
        if meter.register_max is not None:
            detail["register_max"] = meter.register_max
        plan.findings.append(Finding(reading.site_id, reading.meter_id, kind, reading.ts, reading.ts, detail))

    def _implausible(self, plan: Plan, item: Admitted, previous: float | None) -> None:
        """Dead-letter a reading whose register the meter cannot have reached: it would add energy
        that never flowed (and 1e308 kWh does not even round). The dead letter keeps it."""
        reading, meter = item.reading, item.meter
        rated = f"rated {meter.rated_kw:g} kW" if meter.rated_kw > 0 else "without a rated power"
        origin = f"from {previous!r}" if previous is not None else "for any meter"
        detail = f"meter {reading.meter_id!r} ({rated}) cannot count to {reading.register!r} at ts {reading.ts} {origin}"
        plan.dead_letters.append(
            DeadLetter(self.topic_of(item), IMPLAUSIBLE_REGISTER, detail, self.payload_of(item), item.received_at)
        )
        plan.rejected.append(IMPLAUSIBLE_REGISTER)

    def _place_late(self, plan: Plan, late: dict[str, list[Admitted]], shared: bool) -> None:
        """Store readings older than their meter's newest with the energy since their stored
        predecessor, and give the point after each the energy since it.

        Energy 0.0 for a late reading (as before) left the interval uncounted when the reading
        after it had no predecessor (history uploaded after newer readings: a gateway back
        from an outage) and put a whole outage's energy on one point otherwise.
        """
        newer: dict[str, dict[int, EnergyPoint]] = {meter_id: {} for meter_id in late}
        for (meter_id, ts), point in plan.points.items():
            if meter_id in newer:
                newer[meter_id][ts] = point
        for meter_id, items in late.items():
            self._place_meter_late(plan, meter_id, items, newer[meter_id], shared)

    def _place_meter_late(
        self, plan: Plan, meter_id: str, items: list[Admitted], newer: dict[int, EnergyPoint], shared: bool
    ) -> None:
        """``_place_late`` for one meter; ``newer``: its points of this batch."""
        meter = items[0].meter
        tss = [item.reading.ts for item in items]
        lo, hi = min(tss), max(tss)
        until = (self.tracker.newest_ts(meter_id) or hi) + 1
        stored = self._run("store", functools.partial(around, self._store, meter_id=meter_id, start=lo, end=hi + 1, until=until))
        series = {p.ts: p for p in stored}
        series.update(newer)  # readings of this batch: newer than the stored ones
        arrived = self._arrivals(plan, items, series, meter)
        if not arrived:
            return
        placed, refused = place_late([series[ts] for ts in sorted(series)], set(arrived), meter)
        for ts in refused:
            before = max((p for p in series.values() if p.ts < ts), key=lambda p: p.ts, default=None)
            self._implausible(plan, arrived.pop(ts), before.register if before is not None else None)
        for point, step, previous in placed:
            if point.ts not in arrived and abs(series[point.ts].energy - point.energy) <= _TOLERANCE:
                continue  # a successor whose energy was right already
            plan.points[(meter_id, point.ts)] = point
            if not shared and step in (Step.RESET, Step.ROLLOVER, Step.IMPLAUSIBLE):
                self._register_drop(plan, point, meter, step, previous, point.energy)
        plan.out_of_order += len(arrived)
        if arrived:
            plan.findings.append(
                Finding(meter.site_id, meter_id, OUT_OF_ORDER, min(arrived), max(arrived), {"readings": len(arrived)})
            )

    def _arrivals(self, plan: Plan, items: list[Admitted], series: dict[int, EnergyPoint], meter: Meter) -> dict[int, Admitted]:
        """The late readings new to ``series`` (added to it with energy 0.0 until placed), by ts;
        the others are duplicates or conflicts of a point it holds."""
        arrived: dict[int, Admitted] = {}
        for item in items:
            reading = item.reading
            known = series.get(reading.ts)
            if known is None:
                arrived[reading.ts] = item
                series[reading.ts] = _point(reading, meter, 0.0)
            elif known.register == reading.register:
                plan.duplicates += 1
            else:
                self._conflict(plan, item)
        return arrived

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
#: Dead-letter kind of a reading whose register its meter cannot have reached.
IMPLAUSIBLE_REGISTER = "implausible_register"
#: Energies closer than this are the same (they are rounded to 6 decimals when computed).
_TOLERANCE = 1e-7
#: ``category.value`` goes through the enum's property machinery; a dict lookup does not.
_CATEGORY_VALUES = {c: c.value for c in MeterCategory}


def _point(reading: Reading, meter: Meter, energy: float) -> EnergyPoint:
    return EnergyPoint(reading.site_id, reading.meter_id, _CATEGORY_VALUES[meter.category], reading.ts, reading.register, energy)
