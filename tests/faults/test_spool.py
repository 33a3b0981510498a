"""InfluxDB away for longer than the retry budget: readings spooled to disk, acknowledged, replayed."""

from __future__ import annotations

import pytest

from tests.faults.stream import Portfolio, ReadingStream
from tests.support import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.services]

SEED = 1111
PORTFOLIO = Portfolio.build(4, 10)
#: 1,200 readings in 660 messages, all published while InfluxDB is down.
STEPS = 30
#: Seconds of outage the worker rides out before it spools: far below the default, so the
#: test outlasts it many times over in a few seconds.
BUDGET_S = 1.0


def spooled_everything(rig, influxdb, tmp_path, seed: int):
    """A worker that spooled a whole stream while InfluxDB was down (InfluxDB still down)."""
    publisher = rig.publisher()
    publisher.announce(PORTFOLIO)
    worker = rig.in_process(spool_path=tmp_path / "spool", retry_budget_s=BUDGET_S)
    wait_for(lambda: worker.stats.announcements >= len(PORTFOLIO.sites), timeout=15, what="announcements applied")
    influxdb.stop()
    stream = ReadingStream(PORTFOLIO, STEPS, seed, rig.prefix)
    publisher.publish_all(stream.messages())
    readings = publisher.readings_sent
    # Every message acknowledged with InfluxDB down: the broker holds nothing of it any more.
    wait_for(
        lambda: worker.stats.acked >= publisher.sent + len(PORTFOLIO.sites) and worker.stats.spooled >= readings,
        timeout=60,
        what="the whole stream spooled and acknowledged",
    )
    assert worker.stats.stored == 0
    assert worker.stats.pending == 0
    return publisher, worker, readings


def test_readings_spooled_through_a_long_outage_are_replayed_when_influxdb_returns(rig, influxdb, tmp_path):
    try:
        publisher, worker, readings = spooled_everything(rig, influxdb, tmp_path, SEED)
    finally:
        influxdb.start()

    report = rig.settle(publisher)
    assert report.clean, report.summary()
    wait_for(lambda: worker.stats.replayed >= readings, timeout=30, what="replay counted")
    assert worker.stats.spooled == readings


def test_a_spool_left_by_a_stopped_worker_is_replayed_by_the_next_one(rig, influxdb, tmp_path):
    try:
        publisher, first, readings = spooled_everything(rig, influxdb, tmp_path, SEED + 1)
        first.stop()
    finally:
        influxdb.start()

    second = rig.in_process(spool_path=tmp_path / "spool", retry_budget_s=BUDGET_S)

    report = rig.settle(publisher)
    assert report.clean, report.summary()
    # Nothing came back from the broker (it was all acknowledged): the spool alone held it.
    assert second.stats.replayed == readings
    assert second.stats.stored == readings
