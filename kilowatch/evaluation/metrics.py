"""Event-level comparison of alerts with the simulator's ground truth, under strict rules.

Strict (session 5), each rule one a lenient scorer got wrong in the detector's favour:

- an alert is the **detection** of a waste event on its meter when it overlaps it (1 h slack)
  and had its evidence at or after the event's start, or when it is the same episode growing
  into the event (it began before and ran unbroken into the event): then the event is
  detected when a pass first showed the alert covering the event's start;
- an event's detection is its earliest such alert of its kind, else its earliest of any
  kind; every **other** alert is false, a second alert on an event included;
- delay is the detection's time minus the event's start, never clamped;
- wasted kWh is compared over **all** waste events, a missed one estimated at 0 kWh;
- **any** alert overlapping a data fault or meter event counts as a fault called waste.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from core.db.tables import AlertRecord
from core.timebase import DAY, HOUR
from kilowatch.evaluation.world import event_class
from simulators import WasteEvent

#: An alert and an event on the same meter match when their spans overlap within this
#: slack: hourly alerts start on the hour, events anywhere inside it.
SLACK_S = HOUR
#: What each detection pass showed of an alert: alert id -> [(pass time, its ended_at then)],
#: one entry each time its end moved (``runner.RunResult.seen``).
Seen = Mapping[int, Sequence[tuple[int, int]]]


@dataclass
class KindScore:
    events: int = 0
    detected: int = 0
    alerts: int = 0
    correct_alerts: int = 0

    @property
    def recall(self) -> float:
        return self.detected / self.events if self.events else float("nan")

    @property
    def precision(self) -> float:
        return self.correct_alerts / self.alerts if self.alerts else float("nan")

    @property
    def f1(self) -> float:
        """NaN only without events; events and nothing found is 0.0, not "n/a" (no alert
        raised for a kind must not read as a kind without a score)."""
        p, r = self.precision, self.recall
        if np.isnan(r):
            return float("nan")
        if r == 0.0:
            return 0.0
        if np.isnan(p):
            return float("nan")
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Scores:
    by_kind: dict[str, KindScore]
    overall: KindScore
    #: Kind-agnostic: an event counts as found by any alert on its meter that detects it.
    any_kind: KindScore
    delays_h: dict[str, list[float]]
    #: kWh of every waste event, and what the alerts detecting them (and their duplicates) estimate.
    wasted_true_kwh: float
    wasted_estimated_kwh: float
    false_alerts: int
    site_weeks: float
    faults_called_waste: int
    fault_events: int
    alerts_per_detected_event: float
    false_alert_kinds: dict[str, int] = field(default_factory=dict)
    #: kWh of the detected events only (what the lenient scorer compared with).
    wasted_detected_true_kwh: float = float("nan")

    @property
    def wasted_error(self) -> float:
        return (self.wasted_estimated_kwh - self.wasted_true_kwh) / self.wasted_true_kwh if self.wasted_true_kwh else float("nan")

    @property
    def false_alerts_per_site_week(self) -> float:
        return self.false_alerts / self.site_weeks if self.site_weeks else float("nan")

    def median_delay_h(self, kind: str | None = None) -> float:
        values = [d for k, ds in self.delays_h.items() if kind in (None, k) for d in ds]
        return float(np.median(values)) if values else float("nan")


def _overlap(alert: AlertRecord, event: WasteEvent) -> bool:
    return alert.meter_id == event.meter_id and alert.started_at < event.end + SLACK_S and event.start < alert.ended_at + SLACK_S


def detected_at(alert: AlertRecord) -> int:
    return alert.detected_at if alert.detected_at is not None else alert.started_at


def _first_covering(alert: AlertRecord, ts: int, seen: Seen | None) -> int:
    """When a pass first showed ``alert`` reaching past ``ts``."""
    for pass_ts, ended_at in (seen or {}).get(alert.id, ()):
        if ended_at > ts:
            return pass_ts
    # No pass history (a unit test, an alert list from elsewhere): the end of the hour of
    # ``ts``, the earliest an hourly pass could have shown it (a lower bound).
    return (ts // HOUR + 1) * HOUR


def detection_ts(alert: AlertRecord, event: WasteEvent, seen: Seen | None = None) -> int | None:
    """When ``alert`` detected ``event``, or None when it is not a detection of it."""
    if not _overlap(alert, event):
        return None
    found = detected_at(alert)
    if found >= event.start:
        return found
    if alert.started_at <= event.start < alert.ended_at:  # the same episode, growing into the event
        return _first_covering(alert, event.start, seen)
    return None  # evidence from before the event: another episode, over before it began


def _earliest(alerts: list[AlertRecord], event: WasteEvent, seen: Seen | None) -> tuple[int, AlertRecord] | None:
    found = [(ts, a) for a in alerts if (ts := detection_ts(a, event, seen)) is not None]
    return min(found, key=lambda f: (f[0], f[1].id)) if found else None


def score(
    alerts: Iterable[AlertRecord],
    events: Iterable[tuple[WasteEvent, float]],
    *,
    site_weeks: float,
    seen: Seen | None = None,
    past: Iterable[WasteEvent] = (),
) -> Scores:
    """Precision, recall and F1 per kind, delays, kWh error, false alerts and faults called waste.

    ``past``: waste injected in the training history, not scored; an alert on it and on no
    scored waste event is left out (it found real waste, but not one it is asked about)."""
    events = list(events)
    past = list(past)
    scored = [e for e, _ in events if event_class(e) == "waste"]
    alerts = [a for a in alerts if not (any(_overlap(a, p) for p in past) and not any(_overlap(a, e) for e in scored))]
    waste = [(e, kwh) for e, kwh in events if event_class(e) == "waste"]
    faults = [e for e, _ in events if event_class(e) != "waste"]
    kinds = sorted({e.kind for e, _ in waste} | {a.kind for a in alerts})
    by_kind = {k: KindScore() for k in kinds}
    overall, any_kind = KindScore(), KindScore()
    delays: dict[str, list[float]] = defaultdict(list)
    by_meter: dict[str, list[AlertRecord]] = defaultdict(list)
    for a in alerts:
        by_meter[a.meter_id].append(a)
    true_kwh = detected_true_kwh = 0.0
    detections: set[int] = set()  # alerts that are some event's detection, kind aside
    kind_detections: set[int] = set()  # ... by an alert of the event's kind
    on_waste: set[int] = set()  # alerts detecting some event, first or not: their kWh is its estimate
    for event, kwh in waste:
        mine = by_meter[event.meter_id]
        first = _earliest(mine, event, seen)
        first_of_kind = _earliest([a for a in mine if a.kind == event.kind], event, seen)
        for s in (by_kind[event.kind], overall):
            s.events += 1
            s.detected += first_of_kind is not None
        any_kind.events += 1
        any_kind.detected += first is not None
        true_kwh += kwh
        on_waste.update(a.id for a in mine if detection_ts(a, event, seen) is not None)
        # The event's detection: its first alert of its kind, else its first alert of any kind.
        chosen = first_of_kind or first
        if first_of_kind is not None:
            kind_detections.add(first_of_kind[1].id)
        if chosen is not None:
            delays[event.kind].append((chosen[0] - event.start) / HOUR)
            detections.add(chosen[1].id)
            detected_true_kwh += kwh
    false_alerts = 0
    false_kinds: dict[str, int] = defaultdict(int)
    for alert in alerts:
        for s in (by_kind[alert.kind], overall):
            s.alerts += 1
            s.correct_alerts += alert.id in kind_detections
        any_kind.alerts += 1
        any_kind.correct_alerts += alert.id in detections
        if alert.id not in detections:
            false_alerts += 1
            false_kinds[alert.kind] += 1
    faults_called = sum(1 for a in alerts if any(_overlap(a, f) for f in faults))
    est_kwh = sum(a.wasted_kwh for a in alerts if a.id in on_waste)
    return Scores(
        by_kind,
        overall,
        any_kind,
        dict(delays),
        true_kwh,
        est_kwh,
        false_alerts,
        site_weeks,
        faults_called,
        len(faults),
        len(on_waste) / any_kind.detected if any_kind.detected else float("nan"),
        dict(false_kinds),
        detected_true_kwh,
    )


def alerts_per_site_week(alerts: Iterable[AlertRecord], start: int, end: int, sites: int) -> float:
    """Alerts that began in ``[start, end)``, per site-week of that span."""
    site_weeks = sites * (end - start) / (7 * DAY)
    n = sum(1 for a in alerts if start <= a.started_at < end)
    return n / site_weeks if site_weeks > 0 else float("nan")
