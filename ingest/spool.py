"""The local spool: accepted readings kept durably on disk while the store is unreachable.

A spool is a directory of append-only segment files named by a rising sequence number.
Each record is one batch: an 8-byte header (payload length, CRC-32) and a JSON payload.
``append`` returns only after the record is fsynced, so a caller may acknowledge what it
appended. Records are replayed oldest first; a segment is deleted once every record in it
is written to the store. A record cut short by a crash fails its CRC and ends the segment:
it was never fsynced, so its messages were never acknowledged and the broker resends them.

Errors: ``SpoolFull`` (the size bound is reached) and ``OSError`` (the disk failed) both
mean "do not acknowledge; retry later".
"""

from __future__ import annotations

import json
import logging
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<II")
_SUFFIX = ".seg"
#: Bytes after which appends move to a new segment: smaller segments free disk sooner
#: during a replay, larger ones mean fewer files and directory fsyncs.
SEGMENT_BYTES = 8 * 1024 * 1024
#: Longest record accepted when reading back; anything longer is corruption, not data.
_MAX_RECORD = 256 * 1024 * 1024


class SpoolFull(Exception):
    """The spool reached its size bound: stop acknowledging until a replay frees room."""


@dataclass(frozen=True, slots=True)
class SpooledReading:
    """A validated reading as the spool keeps it (enough to compute and store its point)."""

    site_id: str
    meter_id: str
    category: str
    ts: int
    register: float


@dataclass(frozen=True, slots=True)
class SpoolRecord:
    """One appended batch, with where it lives (to mark it replayed)."""

    segment: int
    end: int
    received_at: int
    readings: list[SpooledReading]


def encode_record(received_at: int, readings: list[SpooledReading]) -> bytes:
    rows = [[r.site_id, r.meter_id, r.category, r.ts, r.register] for r in readings]
    payload = json.dumps([received_at, rows], separators=(",", ":")).encode()
    return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload


class Spool:
    """Segment files under ``directory``, bounded to ``max_bytes``; not thread-safe (one writer thread)."""

    def __init__(self, directory: Path, max_bytes: int, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._segment_bytes = segment_bytes
        self._sizes: dict[int, int] = {p_seq: p.stat().st_size for p_seq, p in self._segments()}
        # Never append to a segment left by an earlier run: it may end in a torn record.
        self._tail: int | None = None
        self._tail_file: BinaryIO | None = None
        #: Segment -> offset up to which its records are replayed (only the head is partial).
        self._replayed: dict[int, int] = {}

    # --- state ----------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Bytes on disk, replayed records of a partly replayed segment included."""
        # list() copies in one step: Prometheus reads this from another thread.
        return sum(list(self._sizes.values()))

    def empty(self) -> bool:
        return all(self._replayed.get(seq, 0) >= size for seq, size in self._sizes.items())

    # --- writing --------------------------------------------------------------------

    def append(self, received_at: int, readings: list[SpooledReading]) -> int:
        """Write one batch durably; the bytes appended. Raises ``SpoolFull`` or ``OSError``."""
        record = encode_record(received_at, readings)
        if self.size + len(record) > self.max_bytes:
            raise SpoolFull(f"spool {self.directory} holds {self.size} bytes; {len(record)} more exceed {self.max_bytes}")
        if self._tail is None or self._tail_file is None or self._sizes[self._tail] + len(record) > self._segment_bytes:
            self._open_tail()
        assert self._tail is not None and self._tail_file is not None
        good = self._sizes[self._tail]
        try:
            self._tail_file.write(record)
            self._tail_file.flush()
            os.fsync(self._tail_file.fileno())
        except OSError:
            self._undo_append(good)
            raise
        self._sizes[self._tail] = good + len(record)
        return len(record)

    def _open_tail(self) -> None:
        self.close()
        seq = max(self._sizes, default=0) + 1
        path = self._path(seq)
        self._tail_file = path.open("ab")
        self._tail = seq
        self._sizes[seq] = 0
        # The new file's name must survive a crash too, or its fsynced records vanish.
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _undo_append(self, good: int) -> None:
        """Cut a failed append off so later records stay readable; else start a new segment."""
        assert self._tail_file is not None  # called after a write to the open tail
        try:
            self._tail_file.truncate(good)
        except OSError:
            log.error("cannot truncate spool segment %s after a failed write; starting a new one", self._tail)
            self.close()

    # --- replaying ------------------------------------------------------------------

    def pending(self) -> Iterator[SpoolRecord]:
        """Records not yet replayed, oldest first (reads one record at a time)."""
        for seq in sorted(self._sizes):
            start = self._replayed.get(seq, 0)
            if start < self._sizes.get(seq, 0):
                yield from self._read(seq, start)

    def replayed(self, record: SpoolRecord) -> None:
        """Mark ``record`` and everything before it written; deletes finished segments."""
        for seq in sorted(self._sizes):
            if seq > record.segment:
                break
            if seq < record.segment:
                self._drop(seq)
            else:
                self._replayed[seq] = record.end
                if record.end >= self._sizes[seq] and seq != self._tail:
                    self._drop(seq)
        if self._tail is not None and self._replayed.get(self._tail, 0) >= self._sizes.get(self._tail, 0):
            # Fully replayed and idle: let the next append start a fresh segment.
            self.close()
            self._drop(self._tail)
            self._tail = None

    def _read(self, seq: int, start: int) -> Iterator[SpoolRecord]:
        with self._path(seq).open("rb") as f:
            f.seek(start)
            offset = start
            # replayed() may drop this segment while the caller holds a record of it.
            while offset < self._sizes.get(seq, 0):
                header = f.read(_HEADER.size)
                if len(header) < _HEADER.size:
                    break
                length, crc = _HEADER.unpack(header)
                payload = f.read(length) if length <= _MAX_RECORD else b""
                if len(payload) != length or zlib.crc32(payload) != crc:
                    break
                offset += _HEADER.size + length
                received_at, rows = json.loads(payload)
                yield SpoolRecord(seq, offset, received_at, [SpooledReading(*row) for row in rows])
            torn = self._sizes.get(seq, 0) - offset
        if torn > 0:
            log.warning("spool segment %s ends in %d bytes of a record cut short (never acknowledged)", seq, torn)
            self._sizes[seq] = offset
            if offset <= self._replayed.get(seq, 0):
                self._drop(seq)

    def _drop(self, seq: int) -> None:
        if seq == self._tail:
            self.close()
            self._tail = None
        self._path(seq).unlink(missing_ok=True)
        self._sizes.pop(seq, None)
        self._replayed.pop(seq, None)

    def close(self) -> None:
        if self._tail_file is not None:
            self._tail_file.close()
            self._tail_file = None

    def _segments(self) -> Iterator[tuple[int, Path]]:
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            if path.stem.isdigit():
                yield int(path.stem), path

    def _path(self, seq: int) -> Path:
        return self.directory / f"{seq:012d}{_SUFFIX}"
