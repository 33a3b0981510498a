"""InfluxDB going away under load costs no reading: held while it is down, written when it is back."""

from __future__ import annotations

import time

import pytest

from tests.faults.stream import Portfolio, ReadingStream
from tests.support import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.services]

SEED = 505
PORTFOLIO = Portfolio.build(4, 10)
STEPS = 60
RATE = 150
#: Seconds InfluxDB stays down: several retries long, short of the whole stream.
OUTAGE_S = 4


def test_influxdb_stopped_mid_stream_and_started_again_loses_no_reading(rig, influxdb):
    publisher = rig.publisher()
    publisher.announce(PORTFOLIO)
    worker = rig.worker()
    worker.wait_received(len(PORTFOLIO.sites))
    publisher.start(ReadingStream(PORTFOLIO, STEPS, SEED, rig.prefix).messages(), RATE)
    wait_for(lambda: worker.stored >= 400, timeout=30, what="readings flowing into InfluxDB")

    influxdb.stop()
    try:
        stored_before = worker.stored
        wait_for(lambda: worker.metric("kilowatch_ingest_store_errors_total") > 0, timeout=20, what="the worker noticing")
        time.sleep(OUTAGE_S)  # the outage itself: readings keep coming while nothing can be written
        assert worker.stored == stored_before
        assert publisher.sending, "the stream ended during the outage: widen the stream"
    finally:
        influxdb.start()

    report = rig.settle(publisher)
    assert report.clean, report.summary()
