"""What writer processes under test build themselves from: module-level, so spawn can pickle it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from core.db.session import create_db_engine, session_factory
from core.domain import EnergyPoint
from core.store.embedded import EmbeddedStore

#: The meter whose points make ``PoisonedStore`` fail, and the error it raises.
POISONED_METER = "a-pump"
INJECTED = "injected programming error"


def sessions_at(url: str) -> sessionmaker[Session]:
    """Sessions of an already migrated registry."""
    return session_factory(create_db_engine(url))


class PoisonedStore(EmbeddedStore):
    """The embedded store, except that a write with a point of ``POISONED_METER`` raises, as a bug would."""

    def write(self, points: Sequence[EnergyPoint]) -> None:
        if any(p.meter_id == POISONED_METER for p in points):
            raise RuntimeError(INJECTED)
        super().write(points)
