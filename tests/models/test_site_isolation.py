"""One site whose data makes detection raise does not stop the pass for the others; it gets a finding."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.db.tables import AlertRecord, DataFindingRecord, SiteRecord
from core.settings import CarbonSettings, DetectSettings
from models.detection import DETECTION_FAILED, DetectionPass
from tests.models.simulated import SimulatedPortfolio, registry, simulate

SEED = 7


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> SimulatedPortfolio:
    return simulate(tmp_path_factory.mktemp("isolation"), n_sites=3, seed=SEED, events_per_site_day=3.0)


def _findings(sessions, site_id: str) -> list[DataFindingRecord]:  # sessionmaker
    with sessions() as session:
        return list(
            session.scalars(
                select(DataFindingRecord).where(DataFindingRecord.site_id == site_id, DataFindingRecord.kind == DETECTION_FAILED)
            )
        )


def test_a_poisoned_site_gets_a_finding_and_the_others_get_their_alerts(portfolio: SimulatedPortfolio, tmp_path: Path) -> None:
    sessions = registry(tmp_path, portfolio.portfolio)
    poisoned, *good = sorted(s.site_id for s in portfolio.portfolio.sites)
    # A zone stored before announcements were checked: every local date of the site raises.
    with sessions.begin() as session:
        session.execute(update(SiteRecord).where(SiteRecord.site_id == poisoned).values(timezone="Mars/Olympus"))
    detector = DetectionPass(portfolio.store, sessions, DetectSettings(fit_budget_s=None), CarbonSettings())

    report = detector.run()

    assert report.sites_scanned == len(good)
    with sessions() as session:
        alerted = set(session.scalars(select(AlertRecord.site_id)))
    assert alerted and alerted <= set(good)
    [finding] = _findings(sessions, poisoned)
    assert finding.open and finding.meter_id == "" and "ZoneInfoNotFoundError" in finding.detail
    assert [w.site_id for w in report.warnings if w.code == DETECTION_FAILED] == [poisoned]

    # The next pass after the site is repaired closes the finding.
    with sessions.begin() as session:
        session.execute(update(SiteRecord).where(SiteRecord.site_id == poisoned).values(timezone="Asia/Shanghai"))
    assert detector.run().sites_scanned == len(good) + 1
    [finding] = _findings(sessions, poisoned)
    assert not finding.open
