"""The rejected messages that the dead-letter listings are tested on (the API's and ``kilowatch deadletters``)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from core.db.tables import DeadLetterRecord
from tests.api.seed import T0

#: Received a minute apart from T0 (2024-05-31 16:00 UTC): a malformed batch whose payload
#: holds a NUL, a byte that is not UTF-8 and a terminal escape (511 bytes), a bad value,
#: and a topic outside the prefix (no site).
LETTERS = (
    (
        T0,
        "malformed_json",
        "kilowatch/v1/site_1/batch",
        "malformed JSON: Expecting value",
        b"not json \x00\xff \x1b[31m" + b"x" * 494,
    ),
    (T0 + 60, "bad_value", "kilowatch/v1/siteX1/m-1/reading", "'kwh' is not a number", b'{"v": 1, "kwh": "NaN"}'),
    (T0 + 120, "bad_topic", "elsewhere/thing", "topic outside the prefix", b"{}"),
)


def seed_dead_letters(sessions: sessionmaker[Session]) -> None:
    """Store ``LETTERS`` as ingest would have."""
    with sessions.begin() as session:
        session.add_all(
            DeadLetterRecord(received_at=at, kind=kind, topic=topic, reason=reason, payload=payload)
            for at, kind, topic, reason, payload in LETTERS
        )
