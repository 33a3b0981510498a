"""A meter whose training window is mostly alerted waste keeps its last baseline instead of
learning the waste (a compressor with one creep after another has no normal night left)."""

from __future__ import annotations

from pathlib import Path

from core.settings import CarbonSettings, DetectSettings
from models.alerts import AlertBook
from models.detection import DetectionPass
from models.episodes import WasteEpisode
from models.explain import Explanation
from models.kinds import is_scored
from tests.models.simulated import registry, simulate

HOUR, DAY = 3600, 86400


def test_a_window_mostly_in_waste_alerts_keeps_the_last_baseline(tmp_path: Path) -> None:
    sim = simulate(tmp_path / "sim", n_sites=1, seed=11, days=9, events_per_site_day=0.0)
    sessions = registry(tmp_path, sim.portfolio)
    site = sim.portfolio.sites[0]
    meters = [m for m in sim.portfolio.meters[site.site_id] if is_scored(m.category)]
    wasting, normal = meters[0], meters[1]
    detector = DetectionPass(sim.store, sessions, DetectSettings(fit_budget_s=None), CarbonSettings())
    detector.run(now=sim.end)
    bank = detector.scanner.bank
    before = {m.meter_id: bank.get(m.meter_id) for m in (wasting, normal)}
    # An alert nobody has acted on covers all of the meter's data.
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(
            [
                WasteEpisode(
                    site.site_id,
                    wasting.meter_id,
                    wasting.category.value,
                    "baseline_excess",
                    "check",
                    "low",
                    sim.end - 9 * DAY,
                    sim.end,
                    sim.end - 9 * DAY + HOUR,
                    True,
                    10.0,
                    5.0,
                    5.0,
                    1.0,
                    2.0,
                    0.5,
                    "test",
                    Explanation(
                        wasting.category, "", "baseline_excess", "check", sim.end - 9 * DAY, sim.end, 10.0, 5.0, 1.0, 1, True
                    ),
                    (),
                )
            ],
            scored_meters=[],
            scan_start=sim.end - 2 * DAY,
            data_end=sim.end,
        )
    detector.run(now=sim.end + 25 * HOUR)  # a day of new data: every baseline is due
    assert bank.get(normal.meter_id) is not before[normal.meter_id]
    assert bank.get(wasting.meter_id) is before[wasting.meter_id]
