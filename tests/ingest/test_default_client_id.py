"""Two ingests on one broker with the default client id each keep their own session.

With one fixed default they took each other's persistent session: each connection made
the broker drop the other, which reconnected and dropped the first in turn.
"""

from __future__ import annotations

import uuid

from core.db.session import create_db_engine, migrate, session_factory
from core.settings import Settings
from core.store.embedded import EmbeddedStore
from ingest import IngestWorker
from tests.ingest.conftest import METERS, NOW, SITE
from tests.support import wait_for

READINGS = 30


def _worker(directory, mosquitto, prefix, group, ingest_settings):
    mqtt = Settings(
        data_dir=directory, mqtt={"host": mosquitto.host, "port": mosquitto.port, "topic_prefix": prefix, "shared_group": group}
    ).mqtt
    engine = create_db_engine(f"sqlite:///{directory / 'kilowatch.db'}")
    migrate(engine)
    store = EmbeddedStore(directory / "series.sqlite")
    return IngestWorker(mqtt, ingest_settings, store, session_factory(engine), clock=lambda: NOW), store, engine, mqtt


def test_two_ingests_in_one_shared_group_keep_their_sessions_with_default_ids(
    tmp_path, mosquitto, topic_prefix, publisher, ingest_settings
):
    group = f"g{uuid.uuid4().hex[:6]}"
    built = [_worker(tmp_path / name, mosquitto, topic_prefix, group, ingest_settings) for name in ("a", "b")]
    workers = [w for w, _, _, _ in built]
    assert built[0][3].client_id != built[1][3].client_id
    publisher.announce(SITE, METERS)
    try:
        for worker in workers:
            worker.start()
            assert worker.wait_until_subscribed(10)
        wait_for(lambda: all(w.stats.announcements >= 1 for w in workers), what="both workers registered the site")
        publisher.readings(METERS[0].meter_id, [(NOW - 3600 + 60 * i, 100.0 + 0.05 * i) for i in range(READINGS)])
        wait_for(lambda: sum(w.stats.stored for w in workers) >= READINGS, timeout=20, what="every reading stored")
        # Split by the group (both connected at once), and neither was ever pushed off by the other.
        assert all(w.stats.stored > 0 for w in workers), [w.stats.stored for w in workers]
        assert [w.stats.connections for w in workers] == [1, 1]
    finally:
        for worker, store, engine, _ in built:
            worker.stop()
            store.close()
            engine.dispose()
