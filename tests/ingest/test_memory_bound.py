"""Big messages are held back by the buffer's byte bound (the broker waits), and none is lost."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence

from core.domain import EnergyPoint
from core.wire import reading_topic
from tests.ingest.conftest import METERS, NOW, SITE, FaultyStore, wait_stored
from tests.support import wait_for

LOBBY = METERS[0].meter_id
T0 = NOW - 6 * 3600
MESSAGES = 30
#: Each message: one reading padded to 200 kB (an extra field the wire format ignores).
PADDING = 200 * 1024


class GatedStore(FaultyStore):
    """Writes wait until ``open`` is set: a store slower than the messages arriving."""

    def __init__(self, inner) -> None:
        super().__init__(inner)
        self.open = threading.Event()

    def write(self, points: Sequence[EnergyPoint]) -> None:
        self.open.wait(30)
        super().write(points)


def big_reading(ts: int, register: float) -> bytes:
    return json.dumps({"v": 1, "ts": ts, "register": register, "note": "x" * PADDING}).encode()


def test_the_byte_bound_holds_big_messages_back_until_written_and_loses_none(start_worker, publisher, store):
    gated = GatedStore(store)
    gated.open.set()
    # 1 MB of buffer: five 200 kB messages, where 50 readings (the batch size) would be 50.
    worker = start_worker(on_store=gated, buffer_max_mb=1)
    publisher.announce(SITE, METERS)
    wait_for(lambda: worker.stats.announcements == 1, what="announcement applied")
    gated.open.clear()

    topic = reading_topic(SITE.site_id, LOBBY, publisher.prefix)
    sender = threading.Thread(
        target=lambda: [publisher.raw(topic, big_reading(T0 + i * 60, 100.0 + i)) for i in range(MESSAGES)], daemon=True
    )
    sender.start()
    # The writer holds its batch at the gate, the buffer fills to 1 MB, the receiver waits.
    held = wait_for(lambda: steady(lambda: worker.stats.received, seconds=1.0), timeout=20, what="intake stopping")
    # Past the announcement: the batch at the gate and the buffer (each at most five
    # messages, 1 MB), and one waiting to be put. Bounded by readings alone, all 30 came in.
    assert held - 1 <= 2 * 5 + 1, f"{held - 1} messages of 200 kB taken in with 1 MB of buffer"

    gated.open.set()
    points = wait_stored(store, LOBBY, MESSAGES)
    sender.join(30)
    assert [p.ts for p in points] == [T0 + i * 60 for i in range(MESSAGES)]
    wait_for(lambda: worker.stats.acked == MESSAGES + 1 and worker.stats.pending == 0, what="all acknowledged")


def steady(read, seconds: float) -> int:
    """``read()`` if it did not change over ``seconds`` (and is past the announcement), else 0."""
    before = read()
    time.sleep(seconds)
    return before if before > 1 and read() == before else 0
