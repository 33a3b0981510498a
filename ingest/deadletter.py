"""Rejected input: reason categories, dead-letter rows and throttled logging."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from core.db.tables import DeadLetterRecord

log = logging.getLogger(__name__)

#: Bytes of a rejected payload kept in the dead-letter table (matches core.wire's cut).
MAX_STORED_PAYLOAD = 2048
#: Bytes of a rejected payload shown in a log line; enough to recognise it.
MAX_LOGGED_PAYLOAD = 200
#: Seconds between log lines for one reason: a gateway sending garbage every second
#: must not flood the log, but a new kind of problem is still seen at once.
LOG_INTERVAL_S = 60.0

# core.wire reports reasons as free text; these prefixes map them to metric labels.
_WIRE_KINDS = (
    ("payload of ", "too_large"),
    ("topic outside", "bad_topic"),
    ("unknown topic layout", "bad_topic"),
    ("malformed JSON", "malformed_json"),
    ("payload is not a JSON object", "malformed_json"),
    ("unsupported payload version", "bad_version"),
    ("bad meta announcement", "bad_meta"),
    ("site in payload does not match", "site_mismatch"),
    ("batch has no 'readings'", "bad_batch"),
    ("batch item has no 'meter'", "bad_item"),
    ("reading is not a JSON object", "bad_item"),
    ("bad 'ts'", "bad_timestamp"),
    ("missing '", "bad_value"),
)


def wire_kind(reason: str) -> str:
    """The metric label of a ``core.wire`` rejection reason."""
    for prefix, kind in _WIRE_KINDS:
        if reason.startswith(prefix):
            return kind
    if "not a number" in reason or "not finite" in reason:
        return "bad_value"
    if "is out of range" in reason:
        return "out_of_range"
    return "invalid"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One rejected message or batch item, ready to become a ``DeadLetterRecord``."""

    topic: str
    kind: str
    reason: str
    payload: bytes
    received_at: int

    def record(self) -> DeadLetterRecord:
        return DeadLetterRecord(
            received_at=self.received_at,
            kind=self.kind[:48],
            topic=self.topic[:512],
            reason=f"{self.kind}: {self.reason}",
            payload=self.payload[:MAX_STORED_PAYLOAD],
        )


def save_dead_letters(sessions: sessionmaker[Session], letters: Sequence[DeadLetter]) -> None:
    """Insert the rows in one transaction; raises ``SQLAlchemyError``."""
    if letters:
        with sessions.begin() as session:
            session.add_all([letter.record() for letter in letters])


class RejectionLog:
    """Logs rejections at most once per reason per interval, with the number suppressed."""

    def __init__(self, interval_s: float = LOG_INTERVAL_S, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval_s
        self._monotonic = monotonic
        self._last: dict[str, float] = {}
        self._suppressed: Counter[str] = Counter()

    def __call__(self, letter: DeadLetter) -> None:
        now = self._monotonic()
        last = self._last.get(letter.kind)
        if last is not None and now - last < self._interval:
            self._suppressed[letter.kind] += 1
            return
        self._last[letter.kind] = now
        suppressed = self._suppressed.pop(letter.kind, 0)
        log.warning(
            "rejected %s on %s: %s; payload %r%s",
            letter.kind,
            letter.topic,
            letter.reason[:MAX_LOGGED_PAYLOAD],
            letter.payload[:MAX_LOGGED_PAYLOAD],
            f" ({suppressed} more since the last report)" if suppressed else "",
        )
