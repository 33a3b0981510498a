"""At-least-once delivery: nothing is acknowledged before it is written, nothing received is lost."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence

import pytest

from core.domain import EnergyPoint
from core.store.base import StoreUnavailable
from core.store.embedded import EmbeddedStore
from tests.ingest.conftest import METERS, NOW, SITE, Publisher, wait_stored
from tests.support import wait_for

LOBBY = METERS[0].meter_id
T0 = NOW - 3600


class OutageStore:
    """The embedded store behind a switch: while ``down``, writes raise ``StoreUnavailable``."""

    def __init__(self, inner: EmbeddedStore) -> None:
        self._inner = inner
        self.down = threading.Event()
        self.failed_writes = 0

    def write(self, points: Sequence[EnergyPoint]) -> None:
        if self.down.is_set():
            self.failed_writes += 1
            raise StoreUnavailable("injected outage")
        self._inner.write(points)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


@pytest.fixture
def outage_store(store) -> OutageStore:
    return OutageStore(store)


def announced(start_worker, publisher, **kwargs):
    worker = start_worker(**kwargs)
    publisher.announce(SITE, METERS)
    wait_for(lambda: worker.stats.announcements >= 1, what="announcement applied")
    return worker


def test_nothing_is_acknowledged_while_the_store_is_unavailable(start_worker, publisher, outage_store):
    worker = announced(start_worker, publisher, on_store=outage_store)
    outage_store.down.set()
    publisher.readings(LOBBY, [(T0, 1.0), (T0 + 900, 2.0), (T0 + 1800, 3.5)])

    wait_for(lambda: outage_store.failed_writes >= 3, what="several failed writes")
    assert worker.stats.acked == 1  # the announcement only
    assert worker.stats.pending == 3


def test_every_reading_is_written_and_acknowledged_once_the_store_recovers(start_worker, publisher, outage_store):
    worker = announced(start_worker, publisher, on_store=outage_store)
    outage_store.down.set()
    publisher.readings(LOBBY, [(T0, 1.0), (T0 + 900, 2.0), (T0 + 1800, 3.5)])
    wait_for(lambda: outage_store.failed_writes >= 2, what="failed writes")

    outage_store.down.clear()

    assert [p.energy for p in wait_stored(outage_store, LOBBY, 3)] == pytest.approx([0.0, 1.0, 1.5])
    wait_for(lambda: worker.stats.acked == 4, what="all messages acknowledged")
    assert worker.stats.store_errors >= 2


def test_an_outage_is_logged_once_not_on_every_retry(start_worker, publisher, outage_store, caplog):
    worker = announced(start_worker, publisher, on_store=outage_store)
    outage_store.down.set()
    publisher.reading(LOBBY, T0, 1.0)
    wait_for(lambda: outage_store.failed_writes >= 3, what="several failed writes")
    outage_store.down.clear()
    wait_for(lambda: worker.stats.stored == 1, what="reading written")

    outage_lines = [r.getMessage() for r in caplog.records if r.name == "ingest.retry"]
    assert len(outage_lines) == 2, outage_lines  # one when it starts, one when it ends
    assert "unavailable" in outage_lines[0] and "available again" in outage_lines[1]


def test_messages_left_unwritten_at_stop_are_redelivered_to_the_next_worker(
    start_worker, publisher, outage_store, store, mqtt_settings
):
    first = announced(start_worker, publisher, on_store=outage_store)
    outage_store.down.set()
    publisher.readings(LOBBY, [(T0, 1.0), (T0 + 900, 2.0)])
    wait_for(lambda: first.stats.pending == 2, what="readings received")
    first.stop(timeout=0.5)

    start_worker(on_store=store, mqtt=mqtt_settings)

    assert [p.energy for p in wait_stored(store, LOBBY, 2)] == pytest.approx([0.0, 1.0])


def test_messages_published_while_the_worker_is_down_arrive_after_restart(start_worker, publisher, store, mqtt_settings):
    first = announced(start_worker, publisher)
    publisher.readings(LOBBY, [(T0, 100.0), (T0 + 900, 101.0)])
    wait_stored(store, LOBBY, 2)
    first.stop()

    publisher.readings(LOBBY, [(T0 + 1800, 103.0), (T0 + 2700, 103.5)])
    start_worker(mqtt=mqtt_settings)

    points = wait_stored(store, LOBBY, 4)
    # Energy continues from the register stored before the restart, not from 0.
    assert [p.energy for p in points] == pytest.approx([0.0, 1.0, 2.0, 0.5])


def test_mqtt_3_1_1_sessions_also_survive_a_worker_restart(start_worker, publisher, store, mqtt_settings):
    v3 = mqtt_settings.model_copy(update={"protocol": "3.1.1"})
    first = announced(start_worker, publisher, mqtt=v3)
    publisher.reading(LOBBY, T0, 100.0)
    wait_stored(store, LOBBY, 1)
    first.stop()

    publisher.reading(LOBBY, T0 + 900, 100.5)
    start_worker(mqtt=v3)

    assert [p.energy for p in wait_stored(store, LOBBY, 2)] == pytest.approx([0.0, 0.5])


def test_the_worker_reconnects_and_resumes_after_the_broker_restarts(worker, publisher, store, mosquitto):
    publisher.reading(LOBBY, T0, 1.0)
    wait_stored(store, LOBBY, 1)

    mosquitto.restart()
    wait_for(lambda: worker.stats.connections == 2 and worker.wait_until_subscribed(0), timeout=15, what="reconnected")
    after = Publisher(mosquitto.host, mosquitto.port, publisher.prefix)
    try:
        after.reading(LOBBY, T0 + 900, 1.5)
    finally:
        after.close()

    assert [p.energy for p in wait_stored(store, LOBBY, 2)] == pytest.approx([0.0, 0.5])


def test_a_shared_group_worker_gets_announcements_made_before_it_started(start_worker, publisher, store, mqtt_settings):
    publisher.announce(SITE, METERS)
    group = mqtt_settings.model_copy(update={"shared_group": f"g-{uuid.uuid4().hex[:6]}"})
    worker = start_worker(mqtt=group)
    wait_for(lambda: worker.stats.announcements >= 1, what="retained announcement applied")

    publisher.reading(LOBBY, T0, 1.0)

    wait_stored(store, LOBBY, 1)
