"""A Mosquitto restart (persistence on) under load costs no reading."""

from __future__ import annotations

import pytest

from tests.faults.stream import Portfolio, ReadingStream
from tests.support import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.services]

SEED = 707
PORTFOLIO = Portfolio.build(4, 10)
STEPS = 60
RATE = 150


def test_the_broker_restarted_under_load_loses_no_reading(own_rig, own_broker):
    publisher = own_rig.publisher()
    publisher.announce(PORTFOLIO)
    worker = own_rig.worker()
    worker.wait_received(len(PORTFOLIO.sites))
    publisher.start(ReadingStream(PORTFOLIO, STEPS, SEED, own_rig.prefix).messages(), RATE)
    wait_for(lambda: worker.stored >= 400, timeout=30, what="readings flowing")

    # A graceful restart: Mosquitto writes its persistence file (sessions, queued
    # messages, messages in flight to the worker) on the way down and reads it back.
    own_broker.restart()
    assert publisher.sending, "the stream ended before the restart: not under load"

    report = own_rig.settle(publisher)
    assert report.clean, report.summary()
    assert worker.alive
