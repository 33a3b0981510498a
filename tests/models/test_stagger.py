"""Fit budget: the first passes after a start fit a few sites each, the others borrow or wait, and
every baseline is fitted over the following passes; settings reach the detector."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core.db.tables import BaselineRecord
from core.settings import CarbonSettings, DetectSettings, Settings
from models.budget import FitBudget
from models.detection import DetectionPass
from models.kinds import is_scored
from tests.models.simulated import SimulatedPortfolio, registry, simulate

HOUR = 3600
SEED = 7


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> SimulatedPortfolio:
    return simulate(tmp_path_factory.mktemp("stagger"), n_sites=3, seed=SEED, days=9, events_per_site_day=0.0)


def scored_meters(sim: SimulatedPortfolio, site_id: str) -> list:
    return [m for m in sim.portfolio.meters[site_id] if is_scored(m.category)]


def test_a_budget_of_nothing_still_lets_one_fit_through_then_refuses() -> None:
    budget = FitBudget(0.0)
    assert not budget.allows(essential=False)  # a forest waits for a budget with time in it
    assert budget.allows()
    with budget.fitting():
        pass
    assert not budget.allows() and not budget.allows()
    assert budget.fits == 1 and budget.deferred == 3
    unlimited = FitBudget(None)
    for _ in range(3):
        with unlimited.fitting():
            pass
    assert unlimited.allows() and unlimited.deferred == 0


def test_fits_are_spread_over_passes_and_waiting_meters_borrow_from_fitted_ones(sim: SimulatedPortfolio, tmp_path: Path) -> None:
    sessions = registry(tmp_path, sim.portfolio)
    detector = DetectionPass(sim.store, sessions, DetectSettings(fit_budget_s=0.0), CarbonSettings())
    sites = sorted(s.site_id for s in sim.portfolio.sites)
    first = detector.run(now=sim.end)
    # One site's fit per pass: the first site in order, every other meter waits.
    assert first.baselines_fitted == len(scored_meters(sim, sites[0]))
    assert first.fits_deferred == sum(len(scored_meters(sim, s)) for s in sites[1:])
    fitted_kinds = {(m.category, sim.portfolio.site(sites[0]).site_type) for m in scored_meters(sim, sites[0])}
    borrowers = [
        m for s in sites[1:] for m in scored_meters(sim, s) if (m.category, sim.portfolio.site(s).site_type) in fitted_kinds
    ]
    bank = detector.scanner.bank
    for meter in borrowers:
        lent = bank.get(meter.meter_id)
        assert lent is not None and lent.prior  # scored meanwhile with what similar meters draw
    assert first.meters_scored == first.baselines_fitted + len(borrowers)
    # Borrowed baselines are not saved: only the fitted site's are.
    with sessions() as session:
        saved = {r.meter_id: r.quality.get("prior") for r in session.scalars(select(BaselineRecord))}
    assert set(saved) == {m.meter_id for m in scored_meters(sim, sites[0])} and not any(saved.values())
    reports = [detector.run(now=sim.end + k * HOUR) for k in range(1, len(sites))]
    assert [r.baselines_fitted for r in reports] == [len(scored_meters(sim, s)) for s in sites[1:]]
    assert reports[-1].fits_deferred == 0
    every = [m for s in sites for m in scored_meters(sim, s)]
    assert all(bank.get(m.meter_id) is not None and not bank.get(m.meter_id).prior for m in every)
    # Nothing is due any more: a pass fits nothing and defers nothing.
    quiet = detector.run(now=sim.end + len(sites) * HOUR)
    assert quiet.baselines_fitted == 0 and quiet.fits_deferred == 0 and quiet.meters_scored == len(every)
    # A restarted worker reads the saved baselines instead of fitting them again.
    restarted = DetectionPass(sim.store, sessions, DetectSettings(fit_budget_s=0.0), CarbonSettings())
    again = restarted.run(now=sim.end + len(sites) * HOUR)
    assert again.baselines_fitted == 0 and again.fits_deferred == 0 and again.meters_scored == len(every)


def test_without_a_budget_one_pass_fits_everything(sim: SimulatedPortfolio, tmp_path: Path) -> None:
    sessions = registry(tmp_path, sim.portfolio)
    report = DetectionPass(sim.store, sessions, DetectSettings(fit_budget_s=None), CarbonSettings()).run(now=sim.end)
    every = [m for s in sim.portfolio.sites for m in scored_meters(sim, s.site_id)]
    assert report.baselines_fitted == len(every) and report.fits_deferred == 0


def test_detect_settings_reach_the_detector(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KILOWATCH_CONFIG", raising=False)
    monkeypatch.setenv("KILOWATCH_DETECT__RETRAIN_AFTER_HOURS", "6")
    monkeypatch.setenv("KILOWATCH_DETECT__VERIFY_HOURS", "24")
    monkeypatch.setenv("KILOWATCH_DETECT__MULTIVARIATE", "false")
    monkeypatch.setenv("KILOWATCH_DETECT__FIT_BUDGET_S", "1.5")
    detect = Settings().detect
    assert (detect.retrain_after_hours, detect.verify_hours, detect.multivariate, detect.fit_budget_s) == (6, 24, False, 1.5)
    detector = DetectionPass(None, None, detect, CarbonSettings())
    assert detector.scanner.bank.retrain_after_s == 6 * HOUR
    assert detector.scanner.multivariate is False
    assert DetectSettings().fit_budget_s is not None  # a worker is bounded unless told otherwise
