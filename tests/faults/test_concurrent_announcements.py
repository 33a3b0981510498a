"""Two workers registering the same new site at once must both succeed.

Every worker of a shared group gets every announcement (announcements are not shared),
so a new site reaches all of them at the same moment and each upserts it into the one
registry. Seen in the three-worker fault test (before ingest retried the upsert): one
worker's upsert failed with
``IntegrityError: UNIQUE constraint failed: sites.site_id``, ingest dead-lettered the
announcement as ``registry_rejected``, and that worker then dead-lettered (and
acknowledged) every reading of the site as ``unknown_site``: readings lost. The test below
makes the collision certain: a second writer holds the site's insert open while the
worker's directory announces the same site.
"""

from __future__ import annotations

import threading

import pytest

from core.db.registry import upsert_site
from core.db.session import create_db_engine, migrate, session_factory
from ingest.validation import MeterDirectory
from tests.faults.stream import Portfolio

pytestmark = [pytest.mark.faults]

PORTFOLIO = Portfolio.build(1, 3)
SITE = PORTFOLIO.sites[0]
METERS = PORTFOLIO.meters[SITE.site_id]


def test_a_site_announced_by_two_workers_at_once_is_registered_by_both(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'kilowatch.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    directory = MeterDirectory(sessions)
    directory.reload()
    other_inserted, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        with sessions.begin() as session:
            upsert_site(session, SITE, METERS)
            session.flush()
            other_inserted.set()
            release.wait(10)  # commit only once this worker has looked the site up

    other = threading.Thread(target=other_worker)
    other.start()
    try:
        assert other_inserted.wait(10)
        threading.Timer(0.5, release.set).start()  # this worker's lookup misses, its insert then waits
        directory.announce(SITE, METERS)
    finally:
        release.set()
        other.join(10)
        engine.dispose()

    assert directory.has_site(SITE.site_id)
