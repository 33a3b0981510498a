"""Which writer process a message goes to, and the outbox that carries messages there.

Every topic of the wire contract is ``<prefix>/<site>/...`` (readings, batches, announcements,
and any later per-site topic such as weather), so the site is read from the raw topic bytes
without decoding the message, and hashed to a writer. All of a site's messages, its
announcements included, reach the same process: one meter's energy is computed in one
place, and that process's registry cache learns the site's meters from the announcement.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import zlib
from dataclasses import dataclass
from multiprocessing.connection import Connection

log = logging.getLogger(__name__)

#: Messages an outbox gathers before it sends them at once: one pickle and one pipe write per
#: 128 messages instead of per message, while a full outbox is still only a few hundred kB.
CHUNK = 128


#: Bytes a pipe to or from a writer process holds (Linux's default is 64 kB, a few chunks; an
#: unprivileged process may ask for up to /proc/sys/fs/pipe-max-size, 1 MB by default). While a
#: writer computes a batch, its receiving thread gets the interpreter only now and then; a
#: wider pipe rides that out instead of stalling the network thread, and with it every writer.
PIPE_BYTES = 1024 * 1024


def widen(pipe: Connection) -> None:
    """Make ``pipe`` hold up to ``PIPE_BYTES`` (as much as the system allows; Linux only)."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is None:
        return
    for size in (PIPE_BYTES, PIPE_BYTES // 4):
        try:
            fcntl.fcntl(pipe.fileno(), setsize, size)
            return
        except OSError:
            continue  # above the system's limit: try less, else keep the default


def site_of(raw_topic: bytes, prefix: bytes) -> bytes:
    """The site part of a topic (empty for a topic outside the prefix: it goes to writer 0)."""
    if not raw_topic.startswith(prefix):
        return b""
    rest = raw_topic[len(prefix) + 1 :]
    slash = rest.find(b"/")
    return rest if slash < 0 else rest[:slash]


def writer_of(site: bytes, writers: int) -> int:
    """The writer of a site: stable across processes and restarts (CRC-32, not ``hash``).

    Stable matters: a site spooled by writer 1 must come back to writer 1 after a restart,
    which replays its own spool before taking new messages.
    """
    return zlib.crc32(site) % writers if writers > 1 else 0


@dataclass(frozen=True)
class Owns:
    """Whether a site belongs to writer ``index`` of ``writers`` (picklable, for the writer process)."""

    index: int
    writers: int

    def __call__(self, site_id: str) -> bool:
        return writer_of(site_id.encode(), self.writers) == self.index


class Outbox:
    """Messages for one writer process, sent in chunks over its pipe, in arrival order.

    ``add`` runs on paho's network thread, ``flush`` also on a timer thread; the lock keeps
    chunks whole and in order. A pipe the writer no longer reads blocks the sender: that
    is the backpressure that reaches the broker, as a full buffer does in one process.
    """

    def __init__(self, index: int, pipe: Connection) -> None:
        self.index = index
        self._pipe = pipe
        self._items: list[tuple] = []
        self._lock = threading.Lock()
        #: False once the pipe broke (the writer died) or the outbox was closed.
        self.open = True

    def add(self, item: tuple) -> bool:
        """Queue ``item``; False when it cannot be delivered (it stays unacknowledged)."""
        with self._lock:
            if not self.open:
                return False
            self._items.append(item)
            if len(self._items) >= CHUNK:
                self._send_locked()
            return self.open

    def flush(self, command: str | None = None) -> None:
        """Send what is gathered (and ``command`` after it, e.g. ``"flush"``)."""
        with self._lock:
            if self._items:
                self._send_locked()
            if command is not None and self.open:
                self._send(command)

    def close(self) -> None:
        """Send what is gathered and the end of input: the writer drains, acknowledges and exits."""
        with self._lock:
            if self._items:
                self._send_locked()
            if self.open:
                self._send(None)
            self.open = False

    def _send_locked(self) -> None:
        items, self._items = self._items, []
        self._send(items)

    def _send(self, what: object) -> None:
        try:
            self._pipe.send(what)
        except (OSError, ValueError) as exc:
            # The writer is gone; its messages stay unacknowledged and the broker redelivers them.
            if self.open:
                log.error("writer process %d does not take messages any more (%s)", self.index, exc)
            self.open = False
