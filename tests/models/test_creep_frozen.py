"""A creep followed from pass to pass is not dropped by a day its register froze."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.db.tables import AlertRecord
from core.settings import CarbonSettings, DetectSettings
from models.detection import DetectionPass
from simulators import Portfolio, WasteEvent
from tests.models.simulated import registry, simulate
from tests.models.test_creep_followed import DAYS, pump_creep

HOUR, DAY = 3600, 86400
#: The register stands still for most of a day, five days before the end (well after the creep is found).
FROZEN_DAYS_BEFORE_END, FROZEN_HOURS = 5, 18


def creep_then_frozen(portfolio: Portfolio, end: int) -> list[WasteEvent]:
    [creep] = pump_creep(portfolio, end)
    frozen = end - FROZEN_DAYS_BEFORE_END * DAY + 4 * HOUR
    return [creep, WasteEvent(creep.site_id, creep.meter_id, "stuck_register", frozen, frozen + FROZEN_HOURS * HOUR, 0.0)]


def test_a_frozen_register_day_does_not_end_a_followed_creep(tmp_path: Path) -> None:
    sim = simulate(tmp_path / "sim", n_sites=1, seed=7, days=DAYS, events_per_site_day=0, extra_events=creep_then_frozen)
    creep = next(e for e in sim.events if e.kind == "base_load_creep")
    sessions = registry(tmp_path / "db", sim.portfolio)
    detector = DetectionPass(sim.store, sessions, DetectSettings(fit_budget_s=None), CarbonSettings())
    for now in range(creep.start + 6 * DAY, sim.end + 1, 6 * HOUR):
        detector.run(now=now)
    with sessions() as session:
        alerts = [a for a in session.scalars(select(AlertRecord)) if a.meter_id == creep.meter_id]
    # One alert, the creep's, still going at the end: the frozen day neither ended it nor let the
    # creep's nights come back as alerts of their own.
    assert [a.kind for a in alerts] == ["base_load_creep"]
    assert alerts[0].ended_at >= sim.end - 2 * HOUR
