"""Change counters move with every change of their kind, in the changing transaction; store writes stamp reading versions."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from core.calendar import month_of
from core.db import versions
from core.db.registry import upsert_site
from core.db.session import migrate, session_factory
from core.db.tables import AlertRecord, DeadLetterRecord
from core.domain import EnergyPoint, Meter, MeterCategory, Site, SiteType
from core.store.embedded import EmbeddedStore
from tests.db.test_registry import _alert

SITE = Site("sz-01", "深圳湾", SiteType.MALL, "深圳", "广东省", 22.52, 113.94)
METERS = [Meter("sz-01-garage", "sz-01", MeterCategory.GARAGE_LIGHTING, 12.0, "地下车库照明 B2")]
COUNTERS = versions.Needs((versions.REGISTRY, versions.ALERTS))
#: 2025-06-10 12:00 in Shanghai, and a month later.
JUNE, JULY = 1749528000, 1749528000 + 31 * 86400


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


def _point(ts: int, site_id: str = "sz-01") -> EnergyPoint:
    return EnergyPoint(site_id, f"{site_id}-garage", "garage_lighting", ts, 0.0, 1.0)


def test_a_store_write_stamps_each_site_and_month_it_touches_with_one_new_version(sessions, tmp_path):
    store = versions.VersionedStore(EmbeddedStore(tmp_path / "s.sqlite"), sessions)
    store.write([_point(JUNE), _point(JULY), _point(JUNE, "sz-02")])

    with sessions() as session:
        stamped = versions.reading_versions(session)
    assert set(stamped) == {("sz-01", month_of(JUNE)), ("sz-01", month_of(JULY)), ("sz-02", month_of(JUNE))}
    assert len(set(stamped.values())) == 1


def test_the_newest_version_over_months_moves_when_any_of_them_gets_readings(sessions, tmp_path):
    store = versions.VersionedStore(EmbeddedStore(tmp_path / "s.sqlite"), sessions)
    store.write([_point(JUNE), _point(JULY, "sz-02")])
    june = versions.Needs((), versions.readings_over(None, JUNE, JUNE + 86400))
    with sessions() as session:
        before = versions.current(session, june)

    store.write([_point(JULY)])  # another month: June's answers stand
    with sessions() as session:
        assert versions.current(session, june) == before
    store.write([_point(JUNE + 3600, "sz-02")])
    with sessions() as session:
        assert versions.current(session, june) > before


def test_a_bump_that_fails_is_retried_with_the_next_write(sessions, tmp_path, monkeypatch):
    store = versions.VersionedStore(EmbeddedStore(tmp_path / "s.sqlite"), sessions)
    real = versions.bump_readings

    def away(*_args):
        raise OSError("database away")

    monkeypatch.setattr(versions, "bump_readings", away)
    store.write([_point(JUNE)])  # stored; the bump waits
    assert store.points(start=JUNE, end=JUNE + 1)
    monkeypatch.setattr(versions, "bump_readings", real)
    store.write([_point(JULY)])

    with sessions() as session:
        assert set(versions.reading_versions(session)) == {("sz-01", month_of(JUNE)), ("sz-01", month_of(JULY))}


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


def test_the_store_of_a_writing_command_bumps_the_versions_in_its_database(tmp_path):
    """What ``kilowatch ingest`` (every writer process) and ``kilowatch history`` write through."""
    from core.settings import Settings
    from kilowatch.wiring import open_database, open_writable_series

    settings = Settings(data_dir=tmp_path)
    store = open_writable_series(settings)
    store.write([_point(JUNE)])
    store.close()

    with open_database(settings)() as session:
        assert set(versions.reading_versions(session)) == {("sz-01", month_of(JUNE))}
