"""A new detector is one class plus one line in models.detectors.DETECTORS: its findings come out
of a site pass as alerts like any other's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from core.db.tables import AlertRecord
from core.settings import CarbonSettings, DetectSettings
from models import detectors
from models.detection import DetectionPass
from models.detector import SiteView
from models.episodes import WasteEpisode
from models.explain import Explanation
from models.kinds import is_scored
from models.quality import DataWarning
from tests.models.simulated import registry, simulate


class BusiestHour:
    """A toy: the scanned hour in which each meter drew most, as a one-hour finding."""

    def scan(self, view: SiteView, findings: list[WasteEpisode], faults: list[DataWarning]) -> None:
        scan_hours = view.hours[view.first :]
        for k, j in enumerate(view.cols):
            if np.isnan(view.actual[:, k]).all():
                continue
            i = int(np.nanargmax(view.actual[:, k]))
            start, kwh = int(scan_hours[i]), float(view.actual[i, k])
            meter = view.meters[j]
            findings.append(
                WasteEpisode(
                    meter.site_id,
                    meter.meter_id,
                    meter.category.value,
                    "busiest_hour",
                    "busiest_hour",
                    "low",
                    start,
                    start + 3600,
                    start + 3600,
                    False,
                    kwh,
                    0.0,
                    kwh,
                    0.0,
                    0.0,
                    0.0,
                    "toy",
                    Explanation(meter.category, "", "busiest_hour", "busiest_hour", start, start + 3600, kwh, 0.0, 0.0, 1, False),
                )
            )


def test_a_registered_detector_s_findings_come_out_of_a_site_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detectors, "DETECTORS", [*detectors.DETECTORS, BusiestHour])
    sim = simulate(tmp_path, n_sites=1, seed=7, events_per_site_day=0)
    sessions = registry(tmp_path, sim.portfolio)
    DetectionPass(sim.store, sessions, DetectSettings(), CarbonSettings()).run()
    with sessions() as session:
        toy = {a.meter_id for a in session.scalars(select(AlertRecord)) if a.kind == "busiest_hour"}
    scored = {m.meter_id for m in sim.portfolio.all_meters() if is_scored(m.category)}
    assert toy and toy <= scored
    assert len(toy) >= 0.8 * len(scored)
