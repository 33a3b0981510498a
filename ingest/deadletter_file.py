"""Dead letters kept in a local file while the database is away, copied to it once it is back.

A rejected message must never hold up meter data: when the dead-letter table cannot be
written, its rows go to ``letters.jsonl`` (one JSON line per letter, fsynced) and the
writer moves on. ``copy_to`` later moves the file aside to ``letters.copying.jsonl``,
inserts its rows in one transaction and deletes it. A copy whose outcome is unknown (the
connection dropped during COMMIT, or the process died before the delete) is retried from
the moved-aside file, and first checks whether its rows are already there, so nothing is
inserted twice. That check compares whole rows: it would also take a letter identical to
one already stored in the same second, with the same topic, reason and payload, for the
copy of it; only a copy interrupted at the wrong moment ever asks it.

Errors: ``append`` raises ``OSError``; ``copy_to`` raises ``SQLAlchemyError`` (retry later).
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.db.tables import DeadLetterRecord
from ingest.deadletter import DeadLetter
from ingest.retry import RETRYABLE

log = logging.getLogger(__name__)

#: Bound of the file: a day of a garbage-sending gateway is far less; beyond it, letters
#: are only counted and logged (the meter data matters more than the disk they would take).
MAX_FILE_BYTES = 64 * 1024 * 1024


def _line(letter: DeadLetter) -> bytes:
    fields = [letter.topic, letter.kind, letter.reason, base64.b64encode(letter.payload).decode(), letter.received_at]
    return json.dumps(fields, separators=(",", ":")).encode() + b"\n"


def _row(record: DeadLetterRecord) -> tuple:
    return (record.received_at, record.kind, record.topic, record.reason, bytes(record.payload))


class DeadLetterFile:
    """The local dead-letter file under ``directory``; used by the writer thread only."""

    def __init__(self, directory: Path, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.directory = Path(directory)
        self.path = self.directory / "letters.jsonl"
        self.copying = self.directory / "letters.copying.jsonl"
        self.max_bytes = max_bytes

    def pending(self) -> bool:
        """Letters are waiting for the database (new ones must queue behind them)."""
        return self.copying.exists() or self.path.exists()

    def append(self, letters: Sequence[DeadLetter]) -> int:
        """Add ``letters`` durably; how many were kept (none past ``max_bytes``). Raises ``OSError``."""
        data = b"".join(_line(letter) for letter in letters)
        self.directory.mkdir(parents=True, exist_ok=True)
        size = self.path.stat().st_size if self.path.exists() else 0
        if size + len(data) > self.max_bytes:
            log.error("dead-letter file %s is full (%d bytes); %d dead letters only counted", self.path, size, len(letters))
            return 0
        with self.path.open("ab") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return len(letters)

    def copy_to(self, sessions: sessionmaker[Session]) -> int:
        """Insert the waiting letters and delete the file; the rows inserted. Raises ``SQLAlchemyError``."""
        retried = self.copying.exists()
        if not retried:
            if not self.path.exists():
                return 0
            # New letters go to a fresh file while these are copied.
            os.replace(self.path, self.copying)
            _fsync_dir(self.directory)
        records = self._read()
        inserted = self._insert(sessions, records, check=retried)
        self.copying.unlink()
        _fsync_dir(self.directory)
        return inserted

    def _read(self) -> list[DeadLetterRecord]:
        records = []
        for number, line in enumerate(self.copying.read_bytes().splitlines(), 1):
            try:
                topic, kind, reason, payload, received_at = json.loads(line)
                records.append(DeadLetter(topic, kind, reason, base64.b64decode(payload), received_at).record())
            except (ValueError, TypeError) as exc:
                # Only a line cut short by a crash: it was never reported as kept.
                log.warning("skipping unreadable line %d of %s: %s", number, self.copying, exc)
        return records

    def _insert(self, sessions: sessionmaker[Session], records: list[DeadLetterRecord], check: bool) -> int:
        if not records:
            return 0
        try:
            with sessions.begin() as session:
                if check and _already_stored(session, records):
                    log.warning("the %d dead letters of %s were stored by an earlier copy", len(records), self.copying)
                    return 0
                session.add_all(records)
            return len(records)
        except RETRYABLE:
            raise
        except SQLAlchemyError as exc:
            # The database is up but refuses a row: copy the others, do not wedge on it.
            log.error("dead-letter table refused a copy of %d rows (%s); copying them one at a time", len(records), exc)
        inserted = 0
        for record in records:
            try:
                with sessions.begin() as session:
                    session.add(
                        DeadLetterRecord(**{c: getattr(record, c) for c in ("received_at", "kind", "topic", "reason", "payload")})
                    )
                inserted += 1
            except RETRYABLE:
                raise
            except SQLAlchemyError as exc:
                log.error("dead-letter table refused a row (%s on %s): %s", record.kind, record.topic[:200], exc)
        return inserted


def _already_stored(session: Session, records: list[DeadLetterRecord]) -> bool:
    """Every row of ``records`` (as many times as it occurs) is in the table already."""
    low, high = min(r.received_at for r in records), max(r.received_at for r in records)
    stored = Counter(
        _row(r) for r in session.scalars(select(DeadLetterRecord).where(DeadLetterRecord.received_at.between(low, high)))
    )
    wanted = Counter(_row(r) for r in records)
    return all(stored[row] >= n for row, n in wanted.items())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
