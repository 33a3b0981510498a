"""Running detection over a simulated world the way a detector worker would: passes every few hours."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import select

from core.db.tables import AlertRecord, DataFindingRecord
from core.settings import CarbonSettings, DetectSettings
from kilowatch.evaluation.world import World
from models.detection import DetectionPass

HOUR = 3600


@dataclass
class RunResult:
    alerts: list[AlertRecord]
    findings: list[DataFindingRecord]
    passes: int
    seconds: float
    #: What each pass showed of each alert: id -> [(pass time, ended_at)] whenever its end moved
    #: (the strict metrics date an episode growing into an event by it).
    seen: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


def run_detection(world: World, *, pass_hours: int = 6, training_days: int = 28, lookback_hours: int = 48) -> RunResult:
    """Passes every ``pass_hours`` of data time over the evaluation period, then one at its end."""
    detector = DetectionPass(world.store, world.sessions,
                             # No fit budget: five sites never need one, and a run must not depend on timing.
                             DetectSettings(training_days=training_days, lookback_hours=lookback_hours,
                                            fit_budget_s=None),
                             CarbonSettings())
    began = time.perf_counter()
    passes = 0
    seen: dict[int, list[tuple[int, int]]] = {}
    now = world.eval_start + pass_hours * HOUR
    while True:
        detector.run(now=min(now, world.end))
        passes += 1
        _note_extents(world, min(now, world.end), seen)
        if now >= world.end:
            break
        now += pass_hours * HOUR
    seconds = time.perf_counter() - began
    with world.sessions() as session:
        alerts = list(session.scalars(select(AlertRecord).order_by(AlertRecord.id)))
        findings = list(session.scalars(select(DataFindingRecord).order_by(DataFindingRecord.id)))
        session.expunge_all()
    return RunResult(alerts, findings, passes, seconds, seen)


def _note_extents(world: World, now: int, seen: dict[int, list[tuple[int, int]]]) -> None:
    with world.sessions() as session:
        for alert_id, ended_at in session.execute(select(AlertRecord.id, AlertRecord.ended_at)):
            history = seen.setdefault(alert_id, [])
            if not history or history[-1][1] != ended_at:
                history.append((now, ended_at))
