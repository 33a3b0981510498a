"""The receive buffer is bounded: a full buffer blocks the receiver instead of growing."""

from __future__ import annotations

import threading
import time

from core.domain import Reading
from core.wire import Decoded
from ingest.buffer import InboundMessage, MessageBuffer
from tests.support import wait_for


def message(readings: int, size: int = 100) -> InboundMessage:
    """A message of ``readings`` readings that arrived as ``size`` bytes."""
    decoded = Decoded([Reading("s", f"m{i}", 0, 1.0) for i in range(readings)], [])
    return InboundMessage("t", b"", decoded, mid=1, qos=1, connection=1, received_at=0, arrived=time.monotonic(), size=size)


def put_in_background(buffer: MessageBuffer, item: InboundMessage) -> threading.Event:
    done = threading.Event()
    threading.Thread(target=lambda: (buffer.put(item), done.set()), daemon=True).start()
    return done


def test_put_blocks_while_the_buffer_is_full_until_a_batch_is_taken():
    buffer = MessageBuffer(capacity=4)
    buffer.put(message(3))
    done = put_in_background(buffer, message(2))
    assert not done.wait(0.2)

    assert len(buffer.take(max_wait=0)) == 1

    assert done.wait(5)


def test_a_message_larger_than_the_capacity_is_accepted_into_an_empty_buffer():
    buffer = MessageBuffer(capacity=2)

    assert buffer.put(message(10))
    assert len(buffer.take(max_wait=0)) == 1


def test_take_waits_for_the_flush_deadline_of_the_oldest_message():
    buffer = MessageBuffer(capacity=100)
    buffer.put(message(1))
    started = time.monotonic()

    buffer.take(max_wait=0.3)

    assert time.monotonic() - started >= 0.25


def test_take_returns_at_once_when_the_buffer_is_full():
    buffer = MessageBuffer(capacity=2)
    buffer.put(message(2))
    started = time.monotonic()

    buffer.take(max_wait=60)

    assert time.monotonic() - started < 5


def test_close_releases_a_blocked_put_which_drops_its_message():
    buffer = MessageBuffer(capacity=1)
    buffer.put(message(1))
    results: list[bool] = []
    threading.Thread(target=lambda: results.append(buffer.put(message(1))), daemon=True).start()

    buffer.close()

    assert wait_for(lambda: results, what="put released") == [False]


def test_a_closed_buffer_is_drained_then_reports_empty():
    buffer = MessageBuffer(capacity=10)
    buffer.put(message(1))
    buffer.close()

    assert len(buffer.take(max_wait=60)) == 1
    assert buffer.take(max_wait=60) == []


def test_put_blocks_while_the_buffer_holds_its_bytes_bound_whatever_the_reading_count():
    buffer = MessageBuffer(capacity=1000, max_bytes=1000)
    buffer.put(message(1, size=600))
    done = put_in_background(buffer, message(1, size=600))
    assert not done.wait(0.2)
    assert buffer.depth == (1, 1) and buffer.bytes == 600

    [first] = buffer.take(max_wait=0)

    assert done.wait(5)
    assert first.size == 600 and buffer.bytes == 600


def test_take_returns_at_once_when_the_bytes_bound_is_reached():
    buffer = MessageBuffer(capacity=1000, max_bytes=1000)
    buffer.put(message(1, size=1000))
    started = time.monotonic()

    buffer.take(max_wait=60)

    assert time.monotonic() - started < 5


def test_a_message_larger_than_the_bytes_bound_is_accepted_into_an_empty_buffer():
    buffer = MessageBuffer(capacity=1000, max_bytes=10)

    assert buffer.put(message(1, size=5000))
    assert len(buffer.take(max_wait=0)) == 1
