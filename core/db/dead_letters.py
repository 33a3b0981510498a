"""Reading the dead-letter table: filters, the site a topic names, and the first bytes of a payload.

Ingest writes the rows (``ingest/deadletter.py``); the API and the command line read them
through this one query so both filter the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.db.tables import DeadLetterRecord

#: Bytes of a payload shown in a list: enough to recognise a message, short enough for a phone.
HEAD_BYTES = 120


@dataclass(frozen=True, slots=True)
class DeadLetterQuery:
    """Which rejected messages to read, newest first."""

    prefix: str
    kind: str | None = None
    site_id: str | None = None
    since: int | None = None
    until: int | None = None
    limit: int = 50
    offset: int = 0


class DeadLetterRow(NamedTuple):
    id: int
    received_at: int
    kind: str
    topic: str
    #: The site the topic names; None when the topic is outside the prefix (a bad topic).
    site_id: str | None
    reason: str
    payload_head: str
    payload_bytes: int


def site_of(topic: str, prefix: str) -> str | None:
    """The site segment of ``<prefix>/<site>/...``, or None."""
    if not topic.startswith(prefix + "/"):
        return None
    site = topic[len(prefix) + 1 :].split("/", 1)[0]
    return site or None


def payload_head(payload: bytes) -> str:
    """The first bytes as text; undecodable bytes shown as U+FFFD and control characters escaped."""
    return printable(payload[:HEAD_BYTES].decode("utf-8", errors="replace"))


def printable(text: str) -> str:
    """``text`` with control characters escaped: a NUL or terminal escape sent by a gateway
    must not reach a terminal or a table cell as is."""
    return "".join(c if c.isprintable() or c == " " else f"\\x{ord(c):02x}" for c in text)


def _like_escaped(text: str) -> str:
    # Site ids hold "_", a LIKE wildcard: "site_1" must not match "siteX1".
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(query: DeadLetterQuery) -> Select:
    stmt = select(DeadLetterRecord)
    if query.kind:
        stmt = stmt.where(DeadLetterRecord.kind == query.kind)
    if query.site_id:
        pattern = f"{_like_escaped(query.prefix)}/{_like_escaped(query.site_id)}/%"
        stmt = stmt.where(DeadLetterRecord.topic.like(pattern, escape="\\"))
    if query.since is not None:
        stmt = stmt.where(DeadLetterRecord.received_at >= query.since)
    if query.until is not None:
        stmt = stmt.where(DeadLetterRecord.received_at < query.until)
    return stmt


def read_dead_letters(session: Session, query: DeadLetterQuery) -> tuple[list[DeadLetterRow], int]:
    """One page of matching rejected messages, newest first, and how many match in all."""
    stmt = _filtered(query)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = stmt.order_by(DeadLetterRecord.received_at.desc(), DeadLetterRecord.id.desc()).limit(query.limit).offset(query.offset)
    rows = [
        DeadLetterRow(
            r.id,
            r.received_at,
            r.kind,
            printable(r.topic),
            site_of(r.topic, query.prefix),
            printable(r.reason),
            payload_head(r.payload or b""),
            len(r.payload or b""),
        )
        for r in session.scalars(page)
    ]
    return rows, total
