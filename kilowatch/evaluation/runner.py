"""Running detection over a simulated world the way a detector worker would: passes every few hours."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from core.db.tables import AlertRecord, DataFindingRecord
from core.settings import CarbonSettings, DetectSettings
from core.timebase import HOUR
from kilowatch.evaluation.world import World
from models.detection import DetectionPass


@dataclass
class RunResult:
    alerts: list[AlertRecord]
    findings: list[DataFindingRecord]
    passes: int
    seconds: float
    #: What each pass showed of each alert: id -> [(pass time, ended_at)] whenever its end moved
    #: (the strict metrics date an episode growing into an event by it).
    seen: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


def pass_count(world: World, pass_hours: int) -> int:
    """How many passes :func:`run_detection` makes: every ``pass_hours`` and one at the end."""
    step = pass_hours * HOUR
    return max(1, -(-(world.end - world.eval_start) // step))


def run_detection(
    world: World,
    *,
    pass_hours: int = 6,
    training_days: int = 28,
    lookback_hours: int = 48,
    on_pass: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Passes every ``pass_hours`` of data time over the evaluation period, then one at its end.

    ``on_pass(done, total)`` is called after each pass (a progress bar)."""
    detector = DetectionPass(
        world.store,
        world.sessions,
        # No fit budget: five sites never need one, and a run must not depend on timing.
        DetectSettings(training_days=training_days, lookback_hours=lookback_hours, fit_budget_s=None),
        CarbonSettings(),
    )
    began = time.perf_counter()
    passes, total = 0, pass_count(world, pass_hours)
    seen: dict[int, list[tuple[int, int]]] = {}
    now = world.eval_start + pass_hours * HOUR
    while True:
        detector.run(now=min(now, world.end))
        passes += 1
        _note_extents(world, min(now, world.end), seen)
        if on_pass is not None:
            on_pass(passes, total)
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
