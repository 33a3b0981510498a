"""`kilowatch ingest` with writer processes: one killed under load loses no reading.

The network process notices the dead writer, lets the others drain and acknowledge, and
exits 1; the dead writer's messages were never acknowledged, so the next process gets them.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.faults.test_worker_crash import SEED, started
from tests.support import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.services]


def writer_pids(pid: int) -> list[int]:
    """The writer processes of ``pid`` (its spawned children, not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def test_a_writer_process_killed_mid_batch_ends_its_ingest_and_the_next_one_loses_nothing(rig):
    publisher, first = started(rig, SEED + 7, INGEST__WRITERS="2", INGEST__BATCH_SIZE="500", INGEST__FLUSH_INTERVAL_S="1")
    wait_for(lambda: first.stored >= 300 and first.pending > 0, timeout=30, what="a batch stored and another in hand")
    writers = writer_pids(first.process.pid)
    assert len(writers) == 2, writers

    assert publisher.sending, "the stream ended before the kill: not under load"
    os.kill(writers[0], signal.SIGKILL)
    assert first.process.wait(timeout=30) == 1, first.log_tail()
    rig.worker("second", INGEST__WRITERS="2")  # same client id: the broker redelivers

    report = rig.settle(publisher)
    assert report.clean, report.summary()
