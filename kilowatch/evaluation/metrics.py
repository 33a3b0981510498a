"""Event-level comparison of alerts with the simulator's ground truth."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from core.db.tables import AlertRecord
from kilowatch.evaluation.world import event_class
from simulators import WasteEvent

HOUR = 3600
#: An alert and an event on the same meter match when their spans overlap within this
#: slack: hourly alerts start on the hour, events anywhere inside it.
SLACK_S = HOUR


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
    #: Kind-agnostic: an event counts as found by any overlapping alert on its meter.
    any_kind: KindScore
    delays_h: dict[str, list[float]]
    wasted_true_kwh: float
    wasted_estimated_kwh: float
    false_alerts: int
    site_weeks: float
    faults_called_waste: int
    fault_events: int
    alerts_per_detected_event: float
    false_alert_kinds: dict[str, int] = field(default_factory=dict)

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
    return (alert.meter_id == event.meter_id and alert.started_at < event.end + SLACK_S
            and event.start < alert.ended_at + SLACK_S)


def detected_at(alert: AlertRecord) -> int:
    try:
        return int(json.loads(alert.explanation)["detected_ts"])
    except (ValueError, KeyError, TypeError):
        return alert.started_at


def score(alerts: Iterable[AlertRecord], events: Iterable[tuple[WasteEvent, float]], *, site_weeks: float) -> Scores:
    """Precision, recall and F1 per kind, delays, kWh error, false alerts and faults called waste."""
    alerts = list(alerts)
    events = list(events)
    waste = [(e, kwh) for e, kwh in events if event_class(e) == "waste"]
    faults = [e for e, _ in events if event_class(e) != "waste"]
    kinds = sorted({e.kind for e, _ in waste} | {a.kind for a in alerts})
    by_kind = {k: KindScore() for k in kinds}
    overall, any_kind = KindScore(), KindScore()
    delays: dict[str, list[float]] = defaultdict(list)
    true_kwh = est_kwh = 0.0
    matched_alerts: set[int] = set()
    for event, kwh in waste:
        same = [a for a in alerts if _overlap(a, event) and a.kind == event.kind]
        anyk = [a for a in alerts if _overlap(a, event)]
        for s in (by_kind[event.kind], overall):
            s.events += 1
            s.detected += bool(same)
        any_kind.events += 1
        any_kind.detected += bool(anyk)
        if anyk:
            first = min(detected_at(a) for a in anyk)
            delays[event.kind].append(max(first - event.start, 0) / HOUR)
            true_kwh += kwh
            est_kwh += sum(a.wasted_kwh for a in anyk if a.id not in matched_alerts)
            matched_alerts.update(a.id for a in anyk)
    false_alerts = 0
    false_kinds: dict[str, int] = defaultdict(int)
    faults_called = 0
    for alert in alerts:
        hits = [e for e, _ in waste if _overlap(alert, e)]
        right = any(e.kind == alert.kind for e in hits)
        for s in (by_kind[alert.kind], overall):
            s.alerts += 1
            s.correct_alerts += right
        any_kind.alerts += 1
        any_kind.correct_alerts += bool(hits)
        if not hits:
            false_alerts += 1
            false_kinds[alert.kind] += 1
            faults_called += any(_overlap(alert, f) for f in faults)
    detected = sum(1 for e, _ in waste if any(_overlap(a, e) for a in alerts))
    return Scores(by_kind, overall, any_kind, dict(delays), true_kwh, est_kwh, false_alerts, site_weeks,
                  faults_called, len(faults), len(matched_alerts) / detected if detected else float("nan"),
                  dict(false_kinds))
