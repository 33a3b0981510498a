"""Change counters move with every change of their kind, in the changing transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from core.db import versions
from core.db.registry import upsert_site
from core.db.session import migrate, session_factory
from core.db.tables import AlertRecord, DeadLetterRecord
from core.domain import Meter, MeterCategory, Site, SiteType
from tests.db.test_registry import _alert

SITE = Site("sz-01", "深圳湾", SiteType.MALL, "深圳", "广东省", 22.52, 113.94)
METERS = [Meter("sz-01-garage", "sz-01", MeterCategory.GARAGE_LIGHTING, 12.0, "地下车库照明 B2")]
COUNTERS = versions.Needs((versions.REGISTRY, versions.ALERTS))


@pytest.fixture
def sessions(engine):
    migrate(engine)
    return session_factory(engine)


def _counters(sessions) -> tuple:
    with sessions() as session:
        return versions.current(session, COUNTERS)


def test_announcing_a_site_moves_the_registry_counter_only(sessions):
    before = _counters(sessions)
    with sessions() as session:
        upsert_site(session, SITE, METERS)
        session.commit()

    registry, alerts = _counters(sessions)
    assert registry > before[0] and alerts == before[1]


def test_an_alert_added_or_changed_moves_the_alerts_counter(sessions):
    with sessions() as session:
        upsert_site(session, SITE, METERS)
        session.commit()
    before = _counters(sessions)[1]
    with sessions() as session:
        alert = _alert(1_700_000_000)
        session.add(alert)
        session.commit()
    added = _counters(sessions)[1]
    with sessions() as session:
        session.get(AlertRecord, alert.id).status = "resolved"  # type: ignore[union-attr]
        session.commit()

    assert before < added < _counters(sessions)[1]


def test_a_bulk_alert_insert_moves_the_alerts_counter(sessions):
    with sessions() as session:
        upsert_site(session, SITE, METERS)
        session.commit()
    before = _counters(sessions)[1]
    row = {c.name: getattr(_alert(1_700_000_000), c.name) for c in AlertRecord.__table__.columns if c.name != "id"}
    with sessions() as session:
        session.execute(insert(AlertRecord), [row])
        session.commit()

    assert _counters(sessions)[1] > before


def test_a_rolled_back_change_moves_nothing(sessions):
    before = _counters(sessions)
    with sessions() as session:
        upsert_site(session, SITE, METERS)
        session.rollback()

    assert _counters(sessions) == before


def test_other_tables_move_no_counter(sessions):
    before = _counters(sessions)
    with sessions() as session:
        session.add(DeadLetterRecord(topic="t", kind="malformed_json", reason="bad", payload=b"{", received_at=1))
        session.commit()

    assert _counters(sessions) == before


def test_counters_move_at_commit_not_at_the_first_flush(sessions):
    """A counter's row stays unlocked while the transaction works (a detector's site scan), so other writers do not wait."""
    with sessions() as session:
        upsert_site(session, SITE, METERS)
        session.commit()
    before = _counters(sessions)
    with sessions() as session:
        session.add(_alert(1_700_000_000))
        session.flush()
        assert _counters(sessions) == before  # another session, meanwhile: not bumped yet (and not blocked)
        session.commit()

    assert _counters(sessions)[1] > before[1]


@pytest.mark.parametrize(
    "spans",
    [
        {"a": (0, 3_600), "b": (600, 1_200)},  # one month: the fast way
        {"a": (-7_200, 7_200), "b": (-60, -60)},  # across the home month's start
        {"a": (-40 * 86_400, -39 * 86_400), "b": (0, 60)},  # months apart, one site each
    ],
)
def test_the_site_months_of_points_are_the_months_of_each_point_s_home_day(spans):
    from core.calendar import day_of, month_of
    from core.domain import EnergyPoint

    march = 1_772_294_400  # 2026-03-01 00:00 in Shanghai
    points = [
        EnergyPoint(site, f"{site}-m", "lighting", march + ts, 1.0, 0.5)
        for site, (lo, hi) in spans.items()
        for ts in range(lo, hi + 1, 60)
    ]

    assert versions.site_months(points) == {(p.site_id, month_of(day_of(p.ts))) for p in points}
    assert versions.site_months([]) == set()
