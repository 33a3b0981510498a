"""Alert lifecycle in the database: events, escalation, fix verification, suppression, saved baselines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db.tables import AlertEventRecord, AlertRecord, BaselineRecord, SuppressionRecord
from core.settings import CarbonSettings, DetectSettings
from models.detection import DetectionPass
from tests.models.simulated import SimulatedPortfolio, registry, simulate

HOUR = 3600
SEED = 20250917  # the seed of test_detection's portfolio; lifecycle tests hold no quality floor


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> SimulatedPortfolio:
    return simulate(tmp_path_factory.mktemp("lifecycle"), n_sites=3, seed=SEED, events_per_site_day=3.0)


def longest(sim: SimulatedPortfolio):  # WasteEvent
    return max(sim.events, key=lambda e: e.end - e.start)


def run(sim: SimulatedPortfolio, sessions, now: int, detector: DetectionPass | None = None) -> DetectionPass:
    detector = detector or DetectionPass(sim.store, sessions, DetectSettings(), CarbonSettings())
    detector.run(now=now, site_ids=[longest(sim).site_id])
    return detector


def alert_on(sessions, event) -> AlertRecord:
    with sessions() as session:
        rows = [
            a
            for a in session.scalars(select(AlertRecord))
            if a.meter_id == event.meter_id and a.started_at < event.end and event.start < a.ended_at
        ]
        assert len(rows) == 1, rows
        session.expunge_all()
        return rows[0]


def actions(sessions, alert_id: int) -> list[str]:
    with sessions() as session:
        return [
            e.action
            for e in session.scalars(
                select(AlertEventRecord).where(AlertEventRecord.alert_id == alert_id).order_by(AlertEventRecord.id)
            )
        ]


def test_an_episode_is_opened_updated_and_closed_with_its_history(sim: SimulatedPortfolio, tmp_path: Path) -> None:
    sessions = registry(tmp_path, sim.portfolio)
    event = longest(sim)
    detector = run(sim, sessions, event.start + 2 * HOUR + 1)
    run(sim, sessions, event.start + 4 * HOUR + 1, detector)
    run(sim, sessions, event.end + 4 * HOUR, detector)
    alert = alert_on(sessions, event)
    history = actions(sessions, alert.id)
    assert history[0] == "opened" and "updated" in history and history[-1] == "closed"
    assert not alert.ongoing and alert.verification is None


def test_the_explanation_charts_the_episode_with_context_hours(sim: SimulatedPortfolio, tmp_path: Path) -> None:
    sessions = registry(tmp_path, sim.portfolio)
    event = longest(sim)
    run(sim, sessions, event.end + 8 * HOUR)
    alert = alert_on(sessions, event)
    explanation = json.loads(alert.explanation)
    points = explanation["series"]
    assert {"ts", "actual_kwh", "expected_kwh"} == set(points[0])
    assert len(points) >= (alert.ended_at - alert.started_at) // HOUR + 6
    assert alert.detected_at >= alert.started_at and explanation["check"]


def test_waste_still_there_after_a_resolution_reopens_the_alert(sim: SimulatedPortfolio, tmp_path: Path) -> None:
    sessions = registry(tmp_path, sim.portfolio)
    event = longest(sim)
    detector = run(sim, sessions, event.start + 3 * HOUR + 1)
    first = alert_on(sessions, event)
    with sessions.begin() as session:
        row = session.get(AlertRecord, first.id)
        row.status, row.resolved_at = "resolved", event.start + 3 * HOUR
    run(sim, sessions, event.end + 2 * HOUR, detector)
    alert = alert_on(sessions, event)
    assert (alert.status, alert.reopened, alert.verification) == ("open", 1, "failed")
    assert "reopened" in actions(sessions, alert.id)


def test_a_fix_that_holds_for_two_days_is_verified(sim: SimulatedPortfolio, tmp_path: Path) -> None:
    sessions = registry(tmp_path, sim.portfolio)
    site = longest(sim).site_id
    clean = sorted(m for m in sim.clean_meters() if m.startswith(site) and "lighting" in m)[0]
    resolved = sim.end - 50 * HOUR
    with sessions.begin() as session:
        session.add(
            AlertRecord(
                site_id=site,
                meter_id=clean,
                category="corridor_lighting",
                kind="lights_daylight",
                status="resolved",
                severity="medium",
                started_at=resolved - 6 * HOUR,
                ended_at=resolved - HOUR,
                ongoing=False,
                actual_kwh=10,
                expected_kwh=1,
                wasted_kwh=9,
                cost_cny=7,
                co2e_kg=5,
                factor_kg_per_kwh=0.5,
                created_at=0,
                updated_at=0,
                resolved_at=resolved,
                reopened=0,
            )
        )
    run(sim, sessions, sim.end - 10 * HOUR)
    with sessions() as session:
        rows = list(session.scalars(select(AlertRecord).where(AlertRecord.meter_id == clean)))
        assert [r.verification for r in rows] == ["watching"], [
            (r.kind, r.started_at - resolved, r.ended_at - resolved, r.wasted_kwh, r.explanation[:300]) for r in rows
        ]
    run(sim, sessions, sim.end)
    with sessions() as session:
        alert = session.scalars(select(AlertRecord).where(AlertRecord.meter_id == clean)).one()
        assert (alert.status, alert.verification) == ("resolved", "verified")
    assert actions(sessions, alert.id) == ["verified"]


def test_a_suppressed_meter_and_hours_open_no_alert(sim: SimulatedPortfolio, tmp_path: Path) -> None:
    sessions = registry(tmp_path, sim.portfolio)
    event = longest(sim)
    with sessions.begin() as session:
        session.add(
            SuppressionRecord(
                site_id=event.site_id,
                meter_id=event.meter_id,
                kind=None,
                hour_start=0,
                hour_end=24,
                valid_until=None,
                reason="event night",
                created_at=0,
            )
        )
    run(sim, sessions, event.end + 4 * HOUR)
    with sessions() as session:
        assert not [a for a in session.scalars(select(AlertRecord)) if a.meter_id == event.meter_id]


def test_baselines_are_saved_with_metadata_and_reused_by_the_next_pass(sim: SimulatedPortfolio, tmp_path: Path) -> None:
    sessions = registry(tmp_path, sim.portfolio)
    site = longest(sim).site_id
    detector = DetectionPass(sim.store, sessions, DetectSettings(), CarbonSettings())
    first = detector.run(now=sim.end - 3 * HOUR, site_ids=[site])
    second = detector.run(now=sim.end, site_ids=[site])
    assert first.baselines_fitted > 0 and second.baselines_fitted == 0
    with sessions() as session:
        row = session.scalars(select(BaselineRecord)).first()
    assert row.version and row.features[0] == "hour" and row.window_end > row.window_start
    assert {"cv_rmse", "nmbe", "hours"} <= set(row.quality)
    later = DetectionPass(sim.store, sessions, DetectSettings(), CarbonSettings()).run(now=sim.end, site_ids=[site])
    assert later.baselines_fitted == 0  # a new worker loads them from the database
