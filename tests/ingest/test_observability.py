"""What operators see: Prometheus metrics per worker, logs without secrets, a worker that survives junk."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from core.settings import IngestSettings, MqttSettings
from core.wire import MAX_PAYLOAD_BYTES, batch_topic, meta_topic, reading_topic
from ingest import IngestWorker
from tests.ingest.conftest import METERS, NOW, SITE, dead_letters, wait_stored
from tests.support import wait_for

LOBBY = METERS[0].meter_id
T0 = NOW - 3600

JUNK = [
    b"",
    b"\xff\xfe\x00",
    b"[]",
    b"null",
    b'{"v": 1}',
    b'{"v": 2, "ts": 1, "register": 1}',
    b'{"v": 1, "ts": "yesterday", "register": 1}',
    b'{"v": 1, "site": "site-a", "readings": [1, null, {"meter": 5}, {"meter": "a-lobby"}]}',
    b"{" * 5000,
    b" " * (MAX_PAYLOAD_BYTES + 1),
]


def test_each_worker_exports_metrics_on_its_own_registry(store, sessions):
    first = IngestWorker(MqttSettings(), IngestSettings(), store, sessions)
    second = IngestWorker(MqttSettings(), IngestSettings(), store, sessions)

    assert first.metrics_registry is not second.metrics_registry


def test_received_stored_and_pending_are_exported(worker, publisher, store):
    publisher.readings(LOBBY, [(T0, 1.0), (T0 + 900, 2.0)])
    wait_stored(store, LOBBY, 2)

    def sample(name: str) -> float | None:
        return worker.metrics_registry.get_sample_value(name)

    wait_for(lambda: sample("kilowatch_ingest_stored_readings_total") == 2.0, what="stored metric")
    assert sample("kilowatch_ingest_received_messages_total") == 4.0  # two announcements, two readings
    assert sample("kilowatch_ingest_pending_readings") == 0.0


def test_the_broker_password_is_never_logged(start_worker, mqtt_settings, caplog):
    secret = "hunter2-do-not-log"
    settings = mqtt_settings.model_copy(update={"username": "ingest", "password": SecretStr(secret)})
    caplog.set_level(logging.DEBUG)

    worker = start_worker(mqtt=settings)
    worker.stop()

    assert "ingest connecting" in caplog.text
    assert secret not in caplog.text


@pytest.mark.parametrize("payload", JUNK, ids=range(len(JUNK)))
def test_junk_on_any_topic_is_dead_lettered_and_never_stops_the_worker(worker, publisher, store, sessions, payload):
    prefix = publisher.prefix
    for topic in (reading_topic(SITE.site_id, LOBBY, prefix), batch_topic(SITE.site_id, prefix), meta_topic("x", prefix)):
        publisher.raw(topic, payload)

    publisher.reading(LOBBY, T0, 1.0)

    wait_stored(store, LOBBY, 1)
    wait_for(lambda: len(dead_letters(sessions)) >= 3, what="junk dead-lettered")
    assert worker.error is None


def test_lag_and_queue_depth_are_exported(worker, publisher, store):
    publisher.readings(LOBBY, [(T0, 1.0), (T0 + 900, 2.0)])
    wait_stored(store, LOBBY, 2)

    def sample(name: str) -> float | None:
        return worker.metrics_registry.get_sample_value(name)

    wait_for(lambda: sample("kilowatch_ingest_ack_lag_seconds_count") == 4.0, what="every acknowledgement timed")
    assert sample("kilowatch_ingest_ack_lag_seconds_sum") >= 0.0
    # The worker's clock is NOW; the newest stored reading is T0 + 900.
    assert sample("kilowatch_ingest_data_lag_seconds") == NOW - (T0 + 900)
    assert sample("kilowatch_ingest_queue_depth_messages") == 0.0
    assert sample("kilowatch_ingest_queue_depth_readings") == 0.0
    assert sample("kilowatch_ingest_acked_messages_total") == 4.0
