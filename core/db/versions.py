"""Versions of the data an answer was computed from, shared by every process through the database.

Three counters (``change_counters``) and one row per site and home month of readings
(``site_month_versions``):

- ``registry``: bumped by any change to sites, meters or green instruments;
- ``alerts``: bumped by any change to alerts;
- ``readings``: a sequence; each bump takes the next value and stamps it on the (site,
  month) rows that store writes touched since the previous bump, so the largest version
  over any set of rows changes whenever readings land in one of them.

The relational counters are bumped by session events installed on every session factory
(``watch``), in the same transaction as the change, just before it commits: no writer can
forget them. Readings are bumped after the store write has returned
(``core.db.versioned_store``: coalesced, at most every 0.2 s, on a thread of its own):
a reader that takes the versions first and then reads the store can only see newer data
than its versions say, never older, so an answer kept under those versions is never
staler than the data.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import Connection, event, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, sessionmaker

from core.calendar import month_of
from core.db.tables import ChangeCounterRecord, SiteMonthVersionRecord
from core.domain import EnergyPoint
from core.timebase import DAY, HOME_UTC_OFFSET_S

REGISTRY, ALERTS, READINGS = "registry", "alerts", "readings"
#: Which counter a change to each table bumps.
_SCOPE_OF_TABLE = {"sites": REGISTRY, "meters": REGISTRY, "green_instruments": REGISTRY, "alerts": ALERTS}


class Readings(NamedTuple):
    """Readings an answer depends on: of ``site_id`` (None: any site) in home months ``[first, end)``."""

    site_id: str | None
    first: int
    end: int


class Needs(NamedTuple):
    """What an answer depends on: some counters and, optionally, readings."""

    counters: tuple[str, ...]
    readings: Readings | None = None


def readings_over(site_id: str | None, start: int, end: int) -> Readings:
    """The readings of ``[start, end)`` (epoch seconds) as home months."""
    return Readings(site_id, month_of(start), end)


# -- reading the versions ---------------------------------------------------------------------

_COUNTER = "(SELECT version FROM change_counters WHERE name = :{0})"
_MONTHS = "(SELECT MAX(version) FROM site_month_versions WHERE month >= :first AND month < :end{0})"


def _statement(needs: Needs):
    columns = [_COUNTER.format(f"c{i}") for i in range(len(needs.counters))]
    if needs.readings is not None:
        columns.append(_MONTHS.format(" AND site_id = :site" if needs.readings.site_id is not None else ""))
    return text("SELECT " + ", ".join(columns))


_STATEMENTS: dict[tuple, object] = {}


def current(connection: Connection | Session, needs: Needs) -> tuple:
    """The versions ``needs`` names, now, in one round trip."""
    shape = (len(needs.counters), needs.readings is not None and needs.readings.site_id is not None, needs.readings is None)
    statement = _STATEMENTS.get(shape)
    if statement is None:
        statement = _STATEMENTS[shape] = _statement(needs)
    args: dict[str, object] = {f"c{i}": name for i, name in enumerate(needs.counters)}
    if needs.readings is not None:
        args.update(first=needs.readings.first, end=needs.readings.end, site=needs.readings.site_id)
    return tuple(connection.execute(statement, args).one())  # type: ignore[call-overload]


# -- bumping ----------------------------------------------------------------------------------


def bump(connection: Connection, names: Iterable[str]) -> int | None:
    """Add one to the counters ``names`` (sorted, so two transactions lock them in the same order); the last new value."""
    value = None
    for name in sorted(set(names)):
        value = connection.execute(
            update(ChangeCounterRecord)
            .where(ChangeCounterRecord.name == name)
            .values(version=ChangeCounterRecord.version + 1)
            .returning(ChangeCounterRecord.version)
        ).scalar()
        if value is None:  # a schema made from the metadata rather than the migration
            connection.execute(insert(ChangeCounterRecord).values(name=name, version=1))
            value = 1
    return value


_TOUCHED = "kilowatch.touched_counters"


def _touched(session: Session) -> set[str]:
    return session.info.setdefault(_TOUCHED, set())


def _note_flush(session: Session, _context: UOWTransaction) -> None:
    touched = {
        _SCOPE_OF_TABLE.get(getattr(type(o), "__tablename__", "")) for o in (*session.new, *session.dirty, *session.deleted)
    }
    touched.discard(None)
    _touched(session).update(touched)  # type: ignore[arg-type]


def _note_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        name = _SCOPE_OF_TABLE.get(getattr(getattr(state.statement, "table", None), "name", ""))
        if name is not None:
            _touched(state.session).add(name)


def _bump_at_commit(session: Session) -> None:
    # Flush what is pending first (commit would flush after this hook), so its tables are noted.
    session.flush()
    touched = session.info.pop(_TOUCHED, None)
    if touched:
        bump(session.connection(), touched)


def _forget(session: Session, *_args) -> None:
    session.info.pop(_TOUCHED, None)


def watch(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Bump the counters of the tables a transaction changed (ORM or bulk statements), just before it commits.

    At commit rather than at the change: a counter's row is locked from its bump to the
    commit, so bumping at the first flush would make every other writer of that kind wait
    for the whole transaction (a detector's scan of a site).
    """
    event.listen(sessions, "after_flush", _note_flush)
    event.listen(sessions, "do_orm_execute", _note_statement)
    event.listen(sessions, "before_commit", _bump_at_commit)
    event.listen(sessions, "after_rollback", _forget)
    return sessions


def site_months(points: Sequence[EnergyPoint]) -> set[tuple[str, int]]:
    """The (site, home month)s ``points`` fall in."""
    if not points:
        return set()
    # Usually (a batch of recent readings) all of them fall in one month: then the sites say
    # it all, and min, max and the set of sites run in C, not one Python step per point.
    first, last = _home_month(min(map(_TS, points))), _home_month(max(map(_TS, points)))
    if first == last:
        return {(site_id, first) for site_id in set(map(_SITE, points))}
    # A home day per point is integer arithmetic; the month is looked up once per distinct day.
    days = {(p.site_id, (int(p.ts) + HOME_UTC_OFFSET_S) // DAY) for p in points}
    months: dict[int, int] = {}
    out = set()
    for site_id, day in days:
        month = months.get(day)
        if month is None:
            month = months[day] = month_of(day * DAY - HOME_UTC_OFFSET_S)
        out.add((site_id, month))
    return out


def _home_month(ts: float) -> int:
    """The home month of an epoch second, as ``site_months`` reckons it (by its home day)."""
    day = (int(ts) + HOME_UTC_OFFSET_S) // DAY
    return month_of(day * DAY - HOME_UTC_OFFSET_S)


_TS, _SITE = operator.attrgetter("ts"), operator.attrgetter("site_id")


def bump_readings(session: Session, site_months: Iterable[tuple[str, int]]) -> None:
    """Stamp the next ``readings`` version on each (site, month)."""
    rows = sorted(set(site_months))
    if not rows:
        return
    connection = session.connection()
    version = bump(connection, [READINGS])
    table = SiteMonthVersionRecord.__table__
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(index_elements=["site_id", "month"], set_={"version": statement.excluded.version})
    connection.execute(statement, [{"site_id": s, "month": m, "version": version} for s, m in rows])


def reading_versions(session: Session) -> dict[tuple[str, int], int]:
    """Every (site, month) version (tests and diagnostics)."""
    return {(r.site_id, r.month): r.version for r in session.scalars(select(SiteMonthVersionRecord))}
