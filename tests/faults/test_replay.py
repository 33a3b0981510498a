"""The same minutes published twice leave the store as it was: same points, values and energy."""

from __future__ import annotations

import pytest

from tests.faults.reconcile import stored_points
from tests.faults.stream import Portfolio, ReadingStream
from tests.support import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.services]

SEED = 1313
PORTFOLIO = Portfolio.build(4, 10)
STEPS = 30


def all_acknowledged(worker, messages: int) -> None:
    """Wait until the worker received ``messages`` messages and acknowledged every one."""
    acked = "kilowatch_ingest_acked_messages_total"
    wait_for(
        lambda: (m := worker.metrics())["kilowatch_ingest_received_messages_total"] >= messages and m[acked] >= messages,
        timeout=60,
        interval=0.2,
        what=f"{messages} messages received and acknowledged",
    )


def first_pass(rig, seed: int):
    publisher = rig.publisher()
    publisher.announce(PORTFOLIO)
    worker = rig.worker("first")
    worker.wait_received(len(PORTFOLIO.sites))
    stream = ReadingStream(PORTFOLIO, STEPS, seed, rig.prefix)
    publisher.publish_all(stream.messages())
    report = rig.settle(publisher)
    assert report.clean, report.summary()
    return publisher, worker, stream, stored_points(rig.store, publisher.stamps)


def test_replaying_the_same_minutes_to_the_running_worker_changes_nothing(rig):
    publisher, worker, stream, before = first_pass(rig, SEED)
    received = worker.received

    publisher.publish_all(stream.messages())
    all_acknowledged(worker, int(received) + len(list(stream.messages())))

    assert stored_points(rig.store, publisher.stamps) == before
    assert worker.metric("kilowatch_ingest_duplicates_total") == len(before)


def test_replaying_the_same_minutes_to_a_restarted_worker_changes_nothing(rig):
    publisher, first, stream, before = first_pass(rig, SEED + 1)
    assert first.terminate() == 0
    second = rig.worker("second")
    second.wait_received(len(PORTFOLIO.sites))

    publisher.publish_all(stream.messages())
    all_acknowledged(second, len(PORTFOLIO.sites) + len(list(stream.messages())))

    assert stored_points(rig.store, publisher.stamps) == before
    assert second.metric("kilowatch_ingest_duplicates_total") == len(before)
