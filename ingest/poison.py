"""Poison messages: a message that makes the writer fail is set apart, not redelivered forever.

An unexpected error while writing a batch (a bug meeting input nobody foresaw) used to end
the process with nothing acknowledged; the broker redelivered the same batch to the next
process, which failed the same way, and ingest stopped for every site. ``PoisonGuard``
tells a poison message from a broken writer by evidence only:

- a failed batch of several messages is retried one message at a time; if some go through,
  the ones that still fail are poison: each is dead-lettered as ``writer_error`` (with the
  error) and the batch is acknowledged. If every message fails, the writer itself is
  broken: the error is raised as before (health red, exit 1, nothing acknowledged);
- a message that fails alone cannot be judged in one process: it is written down as a
  suspect (``suspects.json`` beside the dead-letter file) and the error raised. If it fails
  alone again in a later process it is poison.

The cost of the second rule: a writer broken from its first message dead-letters one
message per restart (each failing alone twice) while its health stays red; dead letters keep
the payload and can be re-sent. Holding a batch unacknowledged forever was the worse failure.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from ingest.buffer import InboundMessage
from ingest.deadletter import DeadLetter
from ingest.retry import Aborted

log = logging.getLogger(__name__)

#: Dead-letter kind (and metric label) of a message that made the writer fail.
POISON_KIND = "writer_error"
#: Suspects kept at most: each is one failed start; more means the writer is broken anyway.
MAX_SUSPECTS = 1000
#: Characters of the error kept in a dead letter's reason.
MAX_REASON = 500


def fingerprint(message: InboundMessage) -> str:
    """Stable across redeliveries: topic, size and the kept bytes of the payload."""
    digest = hashlib.sha256(f"{message.topic}\0{message.size}\0".encode())
    digest.update(message.payload)
    return digest.hexdigest()[:32]


class Suspects:
    """Fingerprints of messages that failed alone; in a file when ``directory`` is given."""

    def __init__(self, directory: Path | None) -> None:
        self.path = directory / "suspects.json" if directory is not None else None
        self._known: list[str] = []
        if self.path is not None and self.path.exists():
            try:
                self._known = [str(f) for f in json.loads(self.path.read_text())][-MAX_SUSPECTS:]
            except (OSError, ValueError, TypeError) as exc:
                log.error("ignoring unreadable suspects file %s: %s", self.path, exc)

    def __contains__(self, key: str) -> bool:
        return key in self._known

    def add(self, key: str) -> None:
        if key not in self._known:
            self._known = [*self._known, key][-MAX_SUSPECTS:]
            self._save()

    def discard(self, key: str) -> None:
        if key in self._known:
            self._known = [k for k in self._known if k != key]
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            part = self.path.with_suffix(".part")
            with part.open("w") as f:
                json.dump(self._known, f)
                f.flush()
                os.fsync(f.fileno())
            part.replace(self.path)
        except OSError as exc:
            log.error("could not keep poison suspects in %s: %s", self.path, exc)


class PoisonGuard:
    """Wraps the writer's ``handle(batch) -> bool`` (False: stopping, leave unacknowledged)."""

    def __init__(
        self,
        handle: Callable[[Sequence[InboundMessage]], bool],
        dead_letter: Callable[[list[DeadLetter]], None],
        suspects: Suspects,
        clock: Callable[[], float],
    ) -> None:
        self._handle = handle
        self._dead_letter = dead_letter
        self._suspects = suspects
        self._clock = clock
        self.set_apart = 0

    def handle(self, batch: Sequence[InboundMessage]) -> bool:
        try:
            return self._handle(batch)
        except Aborted:
            raise
        except Exception as exc:
            if len(batch) == 1:
                return self._alone(batch[0], exc)
            log.error(
                "writing a batch of %d messages failed (%s: %s); retrying them one at a time", len(batch), type(exc).__name__, exc
            )
            return self._one_by_one(batch, exc)

    def _alone(self, message: InboundMessage, exc: Exception) -> bool:
        key = fingerprint(message)
        if key in self._suspects:
            self._poison([(message, exc)])
            self._suspects.discard(key)
            return True
        self._suspects.add(key)
        raise exc

    def _one_by_one(self, batch: Sequence[InboundMessage], first: Exception) -> bool:
        failed: list[tuple[InboundMessage, Exception]] = []
        for message in batch:
            try:
                if not self._handle([message]):
                    return False
            except Aborted:
                raise
            except Exception as exc:
                failed.append((message, exc))
        if len(failed) == len(batch):
            raise first
        self._poison(failed)
        for message, _ in failed:
            self._suspects.discard(fingerprint(message))
        return True

    def _poison(self, failed: list[tuple[InboundMessage, Exception]]) -> None:
        now = int(self._clock())
        letters = [
            DeadLetter(
                m.topic, POISON_KIND, f"the writer failed on this message: {type(e).__name__}: {e}"[:MAX_REASON], m.payload, now
            )
            for m, e in failed
        ]
        for m, e in failed:
            log.error("set apart a message on %s that makes the writer fail (%s: %s)", m.topic[:200], type(e).__name__, e)
        self.set_apart += len(letters)
        self._dead_letter(letters)
