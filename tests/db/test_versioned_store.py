"""Store writes stamp reading versions: after the write, soon, off the writer's path, retried until the database takes them."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text, update

from core.calendar import month_of
from core.db import versions
from core.db.session import migrate, session_factory
from core.db.tables import ChangeCounterRecord
from core.db.versioned_store import VersionedStore
from core.domain import EnergyPoint
from core.store.embedded import EmbeddedStore

#: 2025-06-10 12:00 in Shanghai, a month later, and a month after that.
JUNE = 1749528000
JULY, AUGUST = JUNE + 31 * 86400, JUNE + 62 * 86400
WAIT_S = 10.0


@pytest.fixture
def sessions(engine):
    migrate(engine)
    return session_factory(engine)


def _point(ts: int, site_id: str = "sz-01") -> EnergyPoint:
    return EnergyPoint(site_id, f"{site_id}-garage", "garage_lighting", ts, 0.0, 1.0)


def _stamped(sessions) -> dict[tuple[str, int], int]:
    with sessions() as session:
        return versions.reading_versions(session)


def test_a_store_write_stamps_each_site_and_month_it_touches_with_one_new_version(sessions, tmp_path):
    store = VersionedStore(EmbeddedStore(tmp_path / "s.sqlite"), sessions)
    store.write([_point(JUNE), _point(JULY), _point(JUNE, "sz-02")])

    assert store.flush(WAIT_S)
    stamped = _stamped(sessions)
    assert set(stamped) == {("sz-01", month_of(JUNE)), ("sz-01", month_of(JULY)), ("sz-02", month_of(JUNE))}
    assert len(set(stamped.values())) == 1


def test_the_newest_version_over_months_moves_when_any_of_them_gets_readings(sessions, tmp_path):
    store = VersionedStore(EmbeddedStore(tmp_path / "s.sqlite"), sessions)
    store.write([_point(JUNE), _point(JULY, "sz-02")])
    store.flush(WAIT_S)
    june = versions.Needs((), versions.readings_over(None, JUNE, JUNE + 86400))
    with sessions() as session:
        before = versions.current(session, june)

    store.write([_point(JULY)])  # another month: June's answers stand
    store.flush(WAIT_S)
    with sessions() as session:
        assert versions.current(session, june) == before
    store.write([_point(JUNE + 3600, "sz-02")])
    store.flush(WAIT_S)
    with sessions() as session:
        assert versions.current(session, june) > before


class _HeldStore(EmbeddedStore):
    """An embedded store whose writes wait for ``release`` once they have stored their points."""

    def __init__(self, path) -> None:
        super().__init__(path)
        self.writing, self.release = threading.Event(), threading.Event()

    def write(self, points) -> None:
        super().write(points)
        self.writing.set()
        self.release.wait(WAIT_S)


def test_no_version_is_bumped_before_its_write_has_returned(sessions, tmp_path):
    """A reader that takes the versions and then the data never gets data older than its versions."""
    inner = _HeldStore(tmp_path / "s.sqlite")
    store = VersionedStore(inner, sessions, every_s=0.01)
    writer = threading.Thread(target=store.write, args=([_point(JUNE)],))
    writer.start()
    assert inner.writing.wait(WAIT_S)

    assert store.flush(WAIT_S) and _stamped(sessions) == {}  # stored, but the write has not returned
    inner.release.set()
    writer.join(WAIT_S)
    assert store.flush(WAIT_S) and set(_stamped(sessions)) == {("sz-01", month_of(JUNE))}


def test_a_write_does_not_wait_for_a_busy_database(sessions, tmp_path):
    """The writer thread stores the next batch while the versions wait for the database."""
    store = VersionedStore(EmbeddedStore(tmp_path / "s.sqlite"), sessions)
    store.write([_point(JUNE)])
    store.flush(WAIT_S)
    with sessions() as holder:  # another transaction holds the readings counter
        holder.execute(update(ChangeCounterRecord).where(ChangeCounterRecord.name == versions.READINGS).values(version=-1))
        started = time.monotonic()
        store.write([_point(JULY)])
        returned = time.monotonic() - started
        assert not store.flush(0.2)
        holder.rollback()

    assert returned < 1.0
    assert store.flush(WAIT_S) and set(_stamped(sessions)) == {("sz-01", month_of(JUNE)), ("sz-01", month_of(JULY))}


def test_a_bump_that_fails_is_retried_until_the_database_takes_it(sessions, tmp_path):
    store = VersionedStore(EmbeddedStore(tmp_path / "s.sqlite"), sessions, every_s=0.05)
    with sessions.begin() as session:
        session.execute(text("ALTER TABLE site_month_versions RENAME TO site_month_versions_away"))
    store.write([_point(JUNE)])  # stored; the bump fails
    assert store.points(start=JUNE, end=JUNE + 1)
    assert not store.flush(0.3)
    with sessions.begin() as session:
        session.execute(text("ALTER TABLE site_month_versions_away RENAME TO site_month_versions"))

    assert store.flush(WAIT_S)
    assert set(_stamped(sessions)) == {("sz-01", month_of(JUNE))}


def test_writes_between_two_bumps_share_one_version(sessions, tmp_path):
    store = VersionedStore(EmbeddedStore(tmp_path / "s.sqlite"), sessions, every_s=60.0)
    store.write([_point(JUNE)])
    store.flush(WAIT_S)  # bumped at once; the next bump is due in a minute

    store.write([_point(JULY)])
    store.write([_point(AUGUST)])
    store.close()  # does not wait the minute

    stamped = _stamped(sessions)
    assert stamped[("sz-01", month_of(JULY))] == stamped[("sz-01", month_of(AUGUST))] > stamped[("sz-01", month_of(JUNE))]


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
