"""The bounded hand-over between the MQTT network thread and the writer thread."""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from typing import NamedTuple

from core.wire import Decoded


class InboundMessage(NamedTuple):
    """One received MQTT message, decoded, with what is needed to acknowledge it later.

    A named tuple: one is built per message on the network thread, at a third of the cost
    of a frozen dataclass.
    """

    topic: str
    payload: bytes
    decoded: Decoded
    mid: int
    qos: int
    #: Connection the message arrived on; a message id is only valid on its own connection.
    connection: int
    #: Wall-clock second of receipt (for dead-letter rows).
    received_at: int
    #: Monotonic time of receipt (for the flush deadline).
    arrived: float
    #: Bytes the message arrived as: the measure of its memory (its decoded readings,
    #: announcement or rejections), whatever part of the payload itself is kept.
    size: int = 0

    @property
    def weight(self) -> int:
        """Room the message takes in the buffer: its readings, at least one."""
        return max(1, len(self.decoded.readings))


class MessageBuffer:
    """A FIFO bounded by readings and by bytes: ``put`` blocks while full, ``take`` hands out a batch.

    Readings bound a batch's store write; bytes bound memory, which grows with what the
    messages weigh, not with their readings (a 250 kB message of one reading). A message
    larger than either bound is accepted when the buffer is empty, so one oversized
    gateway batch cannot wedge the worker.
    """

    def __init__(self, capacity: int, max_bytes: int | None = None) -> None:
        self.capacity = max(1, capacity)
        self.max_bytes = max(1, max_bytes) if max_bytes is not None else sys.maxsize
        self._items: deque[InboundMessage] = deque()
        self._weight = 0
        self._bytes = 0
        self._closed = False
        self._flush_requested = False
        self._cond = threading.Condition()

    def put(self, message: InboundMessage) -> bool:
        """Append, waiting for room; False when the buffer was closed (the message is dropped)."""
        with self._cond:
            while not self._closed and self._items and self._over(message):
                self._cond.wait()
            if self._closed:
                return False
            was_empty = not self._items
            self._items.append(message)
            self._weight += message.weight
            self._bytes += message.size
            # The writer waits either for a first message or for a full batch: waking it
            # on every put would cost a thread switch per message for nothing.
            if was_empty or self._full():
                self._cond.notify_all()
            return True

    def take(self, max_wait: float, idle_timeout: float | None = None) -> list[InboundMessage]:
        """The next batch: when full, when the oldest message waited ``max_wait``, or on close.

        Blocks while the buffer is empty and open, for at most ``idle_timeout`` seconds when
        given; returns ``[]`` once closed and drained, or when the idle timeout passed.
        """
        with self._cond:
            if idle_timeout is None:
                while not self._items and not self._closed:
                    self._cond.wait()
            elif not self._items and not self._closed:
                self._cond.wait(idle_timeout)
                if not self._items:
                    return []
            while self._items and not self._closed and not self._flush_requested and not self._full():
                remaining = self._items[0].arrived + max_wait - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            batch = list(self._items)
            self._items.clear()
            self._weight = self._bytes = 0
            self._flush_requested = False
            self._cond.notify_all()
            return batch

    def _over(self, message: InboundMessage) -> bool:
        return self._weight + message.weight > self.capacity or self._bytes + message.size > self.max_bytes

    def _full(self) -> bool:
        return self._weight >= self.capacity or self._bytes >= self.max_bytes

    def flush(self) -> None:
        """Hand what is buffered to the writer now instead of at the deadline."""
        with self._cond:
            self._flush_requested = True
            self._cond.notify_all()

    def close(self) -> None:
        """Refuse further messages and release every waiter; buffered ones stay to be drained."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def drained(self) -> bool:
        """Closed, with nothing left to take."""
        return self._closed and not self._items

    @property
    def depth(self) -> tuple[int, int]:
        """Messages and readings waiting."""
        return len(self._items), self._weight

    @property
    def bytes(self) -> int:
        """Bytes of the messages waiting (as they arrived)."""
        return self._bytes
