"""Bad input is dead-lettered with its reason and counted; it never stops good readings or the worker."""

from __future__ import annotations

import json

from core.domain import Reading
from core.wire import batch_topic, reading_topic
from tests.ingest.conftest import METERS, NOW, OTHER_SITE, SITE, stored, wait_dead_letters, wait_stored

LOBBY, PUMP = METERS[0].meter_id, METERS[1].meter_id
T0 = NOW - 3600


def test_malformed_json_is_dead_lettered_and_the_worker_keeps_running(worker, publisher, store, sessions):
    publisher.raw(reading_topic(SITE.site_id, LOBBY, publisher.prefix), b'{"v": 1, "ts": ')
    publisher.reading(LOBBY, T0, 5.0)

    wait_stored(store, LOBBY, 1)
    [row] = wait_dead_letters(sessions, 1)
    assert row.reason.startswith("malformed_json")
    assert row.payload == b'{"v": 1, "ts": '
    assert row.received_at == NOW
    assert worker.stats.rejected["malformed_json"] == 1


def test_bad_batch_item_is_dead_lettered_and_the_rest_of_the_batch_is_stored(worker, publisher, store, sessions):
    body = {
        "v": 1,
        "site": SITE.site_id,
        "readings": [
            {"meter": LOBBY, "ts": T0, "register": 1.0},
            {"meter": PUMP, "ts": T0, "register": "lots"},
            {"meter": PUMP, "ts": T0 + 900, "register": 2.0},
        ],
    }
    publisher.raw(batch_topic(SITE.site_id, publisher.prefix), json.dumps(body).encode())

    wait_stored(store, LOBBY, 1)
    assert [p.ts for p in wait_stored(store, PUMP, 1)] == [T0 + 900]
    [row] = wait_dead_letters(sessions, 1)
    assert row.reason.startswith("bad_value")
    assert b"lots" in row.payload


def test_an_out_of_range_batch_item_is_dead_lettered_alone_and_the_good_items_are_stored(worker, publisher, store, sessions):
    # A 400-digit integer is valid JSON but no float: the item is judged on its own.
    items = [
        f'{{"meter": "{LOBBY}", "ts": {T0}, "register": 1.0}}',
        f'{{"meter": "{PUMP}", "ts": {T0}, "register": {"9" * 400}}}',
        f'{{"meter": "{PUMP}", "ts": {T0 + 900}, "register": 2.0}}',
    ]
    payload = f'{{"v": 1, "site": "{SITE.site_id}", "readings": [{", ".join(items)}]}}'.encode()
    publisher.raw(batch_topic(SITE.site_id, publisher.prefix), payload)

    wait_stored(store, LOBBY, 1)
    assert [p.ts for p in wait_stored(store, PUMP, 1)] == [T0 + 900]
    [row] = wait_dead_letters(sessions, 1)
    assert row.kind == "out_of_range" and "400 digits" in row.reason
    assert row.payload.startswith(f'{{"meter": "{PUMP}", "ts": {T0}, "register": 999'.encode())
    assert worker.stats.rejected == {"out_of_range": 1}


def test_reading_of_an_unknown_meter_is_dead_lettered(worker, publisher, store, sessions):
    publisher.reading("a-ghost", T0, 1.0)

    [row] = wait_dead_letters(sessions, 1)
    assert row.reason.startswith("unknown_meter")
    assert row.topic == reading_topic(SITE.site_id, "a-ghost", publisher.prefix)
    assert stored(store, "a-ghost") == []


def test_reading_of_an_unannounced_site_is_dead_lettered(worker, publisher, sessions):
    publisher.reading("x-meter", T0, 1.0, site="site-never-announced")

    [row] = wait_dead_letters(sessions, 1)
    assert row.reason.startswith("unknown_site")


def test_meter_reported_under_another_site_is_dead_lettered(worker, publisher, store, sessions):
    publisher.reading(LOBBY, T0, 1.0, site=OTHER_SITE.site_id)

    [row] = wait_dead_letters(sessions, 1)
    assert row.reason.startswith("wrong_site")
    assert stored(store, LOBBY) == []


def test_timestamp_too_far_in_the_future_is_rejected(worker, publisher, store, sessions, ingest_settings):
    publisher.reading(LOBBY, NOW + ingest_settings.max_future_s + 60, 1.0)
    publisher.reading(LOBBY, NOW + 60, 2.0)

    assert [p.ts for p in wait_stored(store, LOBBY, 1)] == [NOW + 60]
    [row] = wait_dead_letters(sessions, 1)
    assert row.reason.startswith("future_timestamp")


def test_timestamp_older_than_the_maximum_age_is_rejected(worker, publisher, sessions, ingest_settings):
    publisher.reading(LOBBY, NOW - ingest_settings.max_age_s - 60, 1.0)

    [row] = wait_dead_letters(sessions, 1)
    assert row.reason.startswith("too_old")


def test_negative_register_is_rejected(worker, publisher, sessions):
    publisher.batch([Reading(SITE.site_id, LOBBY, T0, -3.0)])

    [row] = wait_dead_letters(sessions, 1)
    assert row.reason.startswith("negative_register")
    assert json.loads(row.payload) == {"meter": LOBBY, "ts": T0, "register": -3.0}


def test_same_timestamp_with_another_register_is_rejected_as_a_conflict(worker, publisher, store, sessions):
    publisher.readings(LOBBY, [(T0, 1.0), (T0, 1.5)])

    [row] = wait_dead_letters(sessions, 1)
    assert row.reason.startswith("conflicting_register")
    assert [p.register for p in stored(store, LOBBY)] == [1.0]


def test_rejections_are_exported_as_prometheus_metrics_by_reason(worker, publisher, sessions):
    publisher.reading("a-ghost", T0, 1.0)
    publisher.reading("a-ghost", T0 + 900, 2.0)
    wait_dead_letters(sessions, 2)

    value = worker.metrics_registry.get_sample_value("kilowatch_ingest_rejected_total", {"reason": "unknown_meter"})
    assert value == 2.0
