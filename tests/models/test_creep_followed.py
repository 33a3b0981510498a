"""A creep older than the window's quiet days: every daily pass must keep measuring it from where it began."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.db.tables import AlertRecord
from core.domain import MeterCategory
from core.settings import CarbonSettings, DetectSettings
from models.detection import DetectionPass
from simulators import Portfolio, WasteEvent
from tests.models.simulated import registry, simulate

HOUR, DAY = 3600, 86400
DAYS = 50
#: Creep on day 20, climbing 16 days, then holding: by the last pass the 28-day window's
#: lowest days are the creep's own first climbing days.
CREEP_DAY, RAMP_DAYS = 20, 16
SHARE = 0.3


def pump_creep(portfolio: Portfolio, end: int) -> list[WasteEvent]:
    start = end - DAYS * DAY
    meter = next(m for m in portfolio.all_meters() if m.category == MeterCategory.WATER_PUMP)
    begins = start + CREEP_DAY * DAY
    return [
        WasteEvent(
            meter.site_id,
            meter.meter_id,
            "base_load_creep",
            begins,
            end,
            SHARE * meter.rated_kw,
            ramp_end=begins + RAMP_DAYS * DAY,
        )
    ]


def alerts_while_followed(tmp_path: Path, sim, creep: WasteEvent) -> list[AlertRecord]:
    """The creep meter's alerts after a pass every six hours from six days into the creep to the end."""
    sessions = registry(tmp_path / "db", sim.portfolio)
    detector = DetectionPass(sim.store, sessions, DetectSettings(fit_budget_s=None), CarbonSettings())
    for now in range(creep.start + 6 * DAY, sim.end + 1, 6 * HOUR):
        detector.run(now=now)
    with sessions() as session:
        return [a for a in session.scalars(select(AlertRecord)) if a.meter_id == creep.meter_id]


def test_a_creep_that_outlives_the_window_s_quiet_days_keeps_its_start_and_energy(tmp_path: Path) -> None:
    sim = simulate(tmp_path / "sim", n_sites=1, seed=7, days=DAYS, events_per_site_day=0, extra_events=pump_creep)
    [creep] = sim.events
    alerts = alerts_while_followed(tmp_path, sim, creep)
    [alert] = [a for a in alerts if a.kind == "base_load_creep"]
    injected = creep.extra_kw * (RAMP_DAYS * DAY / 2 + (creep.end - creep.ramp_end)) / HOUR
    # Found a few days into its climb (its first days are within the noise), and never later.
    assert creep.start <= alert.started_at <= creep.start + 4 * DAY
    assert abs(alert.wasted_kwh - injected) <= 0.15 * injected
