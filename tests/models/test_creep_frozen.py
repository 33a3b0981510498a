"""A creep followed from pass to pass is not dropped by a day its register froze."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from core.domain import Meter, MeterCategory
from models.creep_check import _unfrozen
from simulators import Portfolio, WasteEvent
from tests.models.simulated import simulate
from tests.models.test_creep_followed import DAYS, alerts_while_followed, pump_creep

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
    alerts = alerts_while_followed(tmp_path, sim, creep)
    # One alert, the creep's, still going at the end: the frozen day neither ended it nor let the
    # creep's nights come back as alerts of their own.
    assert [a.kind for a in alerts] == ["base_load_creep"]
    assert alerts[0].ended_at >= sim.end - 2 * HOUR


class _Flat:
    """A baseline expecting 10 kWh every hour."""

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.full(X.shape[0], 10.0)


def test_the_hours_a_register_froze_and_resumed_in_are_unknown_to_the_base_load() -> None:
    # A register froze at 19:30 and resumed at 07:30: 20:00-06:00 read zero, and the 19:00 and 07:00
    # hours half their draw. A compressor's half hour passed for a day of a creep's climb, and its
    # leak was reported as a creep (realistic seed 2027).
    kwh = np.full((48, 1), 10.0)
    kwh[20:31, 0] = 0.0
    kwh[19, 0] = kwh[31, 0] = 5.0
    meter = Meter("m", "s", MeterCategory.AIR_COMPRESSOR, 20.0)
    view = SimpleNamespace(kwh=kwh, meters=[meter], baselines=[SimpleNamespace(baseline=_Flat())], features=np.zeros((48, 4)))
    known = _unfrozen(view, [0])[:, 0]  # type: ignore[arg-type]
    assert np.isnan(known[19:32]).all()
    assert (known[:19] == 10.0).all() and (known[32:] == 10.0).all()
