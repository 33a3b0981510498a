"""A `kilowatch ingest` process killed or stopped under load loses no reading."""

from __future__ import annotations

import pytest

from tests.faults.reconcile import check_store
from tests.faults.stream import Portfolio, ReadingStream
from tests.support import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.services]

SEED = 303
#: 4 sites x 10 meters x 60 minutes = 2,400 readings in 1,320 messages (half batches, half per meter).
PORTFOLIO = Portfolio.build(4, 10)
STEPS = 60
#: Messages a second: the stream lasts about nine seconds, long enough to kill a worker inside it.
RATE = 150


def started(rig, stream_seed: int, name: str = "first", **settings: str):
    """A subscribed worker and a publisher streaming in the background."""
    publisher = rig.publisher()
    publisher.announce(PORTFOLIO)
    worker = rig.worker(name, **settings)
    worker.wait_received(len(PORTFOLIO.sites))  # the retained announcements: subscribed
    stream = ReadingStream(PORTFOLIO, STEPS, stream_seed, rig.prefix)
    publisher.start(stream.messages(), RATE)
    return publisher, worker


def test_a_worker_killed_mid_batch_is_replaced_without_losing_a_reading(rig):
    # A large batch and a slow flush keep received-but-unacknowledged readings in the worker.
    publisher, first = started(rig, SEED, INGEST__BATCH_SIZE="500", INGEST__FLUSH_INTERVAL_S="1")
    wait_for(lambda: first.stored >= 300 and first.pending > 0, timeout=30, what="a batch stored and another in hand")

    first.kill()
    rig.worker("second")  # same client id: the broker resumes the session and redelivers

    report = rig.settle(publisher)
    assert report.clean, report.summary()


def test_sigterm_under_load_exits_0_and_the_next_worker_gets_the_rest(rig):
    publisher, first = started(rig, SEED + 1)
    wait_for(lambda: first.stored >= 600, timeout=30, what="a fair share stored")

    status = first.terminate()
    assert status == 0, first.log_tail()
    assert publisher.sending, "the stream ended before SIGTERM: not under load"
    # What it wrote before exiting is right; whatever it received but did not
    # acknowledge must come back from the broker to the next worker.
    partial = check_store(rig.store, publisher.stamps)
    assert not (partial.duplicated or partial.unexpected or partial.wrong_value), partial.summary()
    rig.worker("second")

    report = rig.settle(publisher)
    assert report.clean, report.summary()
