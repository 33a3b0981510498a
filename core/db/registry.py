"""The site and meter registry: upserts from announcements, retirement, lookups by id."""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from functools import lru_cache
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, Table, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db.tables import Base, DataFindingRecord, MeterRecord, SiteRecord
from core.domain import DeclaredHours, Meter, MeterCategory, Site, SiteType
from core.site_rules import GIVEN, PROVINCE_CAPITAL, InvalidField, check_opening_hours, opening_hours_json

#: The site-level data finding of a site placed at its province capital (meter_id "").
NO_COORDINATES = "no_coordinates"
#: ``DataFindingRecord.source`` of findings the registry writes.
SOURCE = "registry"


def upsert_site(session: Session, site: Site, meters: list[Meter], now: int | None = None) -> dict[str, str]:
    """Create or update a site and its meters (meters are never deleted here); the meters refused.

    A meter belongs to the site that announced it first: one listed here that the registry
    holds for another site is left alone and returned as ``{meter_id: owner site}``. Only
    an administrator moves a meter (``move_meter``). Announcing a retired site brings it back.

    ``INSERT ... ON CONFLICT DO UPDATE`` on PostgreSQL and SQLite, the meters in one
    executemany: a national portfolio announces 5,000 sites of ~50 meters when ingest first
    starts, and the ORM's read-then-write took 39 ms a site on PostgreSQL (over three
    minutes); this takes about 6 ms.
    The upsert also lets two workers announce the same new site at once. Rows already
    right are not rewritten; a site's tariff is never touched.
    """
    site_row: dict[str, object] = {
        "site_id": site.site_id,
        "name": site.name,
        "site_type": site.site_type.value,
        "city": site.city,
        "province": site.province,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "timezone": site.timezone,
        "location_source": site.location_source,
        "retired_at": None,
    }
    if site.opening_hours is not None:
        # Only an announcement that declares hours sets them: one without them leaves the
        # registry's (an administrator's, or an earlier announcement's) as they are.
        site_row["opening_hours"] = opening_hours_json(site.opening_hours)
    meter_rows = [
        {
            "meter_id": m.meter_id,
            "site_id": site.site_id,
            "category": m.category.value,
            "rated_kw": m.rated_kw,
            "name": m.name,
            "register_max": m.register_max,
        }
        for m in meters
    ]
    insert = _dialect_insert(session)
    site_changed = _upsert(session, insert, _table(SiteRecord), "site_id", [site_row])
    claimed: dict[str, str] = {}
    if meter_rows:
        # The guard keeps another site's meter where it is, even when two announcements race.
        written = _upsert(session, insert, _table(MeterRecord), "meter_id", meter_rows, same_site=True)
        # Only rows neither inserted nor updated can be another site's (or already right):
        # a new site's announcement, the bulk of a portfolio's first start, asks nothing more.
        unwritten = [m.meter_id for m in meters if m.meter_id not in written]
        if unwritten:
            owners = session.execute(
                select(MeterRecord.meter_id, MeterRecord.site_id).where(MeterRecord.meter_id.in_(unwritten))
            ).all()
            claimed = {meter_id: owner for meter_id, owner in owners if owner != site.site_id}
    if site_changed:  # an unchanged row has the same location source, so the finding is right already
        note_location(session, site, int(time.time()) if now is None else now)
    # Records this session already holds would hide the new values until they expire.
    session.expire_all()
    return claimed


def retire_site(session: Session, site_id: str, now: int) -> bool:
    """Mark a site retired (its empty meta announcement) unless it already is; False when it is unknown.

    Nothing is deleted: meters, alerts, findings and stored points stay, and the API still
    shows them. Ingest refuses the site's readings until it is announced again.
    """
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed wider.
    result = cast(
        CursorResult[Any],
        session.execute(
            update(SiteRecord).where(SiteRecord.site_id == site_id, SiteRecord.retired_at.is_(None)).values(retired_at=now)
        ),
    )
    return result.rowcount > 0 or session.get(SiteRecord, site_id) is not None


def move_meter(session: Session, meter_id: str, to_site_id: str) -> None:
    """Give a meter to another site (an administrator's decision; announcements never move one)."""
    session.execute(update(MeterRecord).where(MeterRecord.meter_id == meter_id).values(site_id=to_site_id))


def note_location(session: Session, site: Site, now: int) -> None:
    """Open a ``no_coordinates`` finding for a site placed at its province capital; close it once it has its own."""
    table = _table(DataFindingRecord)
    this_site = (
        (table.c.site_id == site.site_id) & (table.c.meter_id == "") & (table.c.kind == NO_COORDINATES) & table.c.open.is_(True)
    )
    if site.location_source != PROVINCE_CAPITAL:
        session.execute(update(table).where(this_site).values(open=False, ended_at=now, updated_at=now))
    elif session.execute(select(table.c.id).where(this_site)).first() is None:
        detail = {
            "message": "no coordinates were given: sunrise and sunset are those of the province capital",
            "province": site.province,
            "latitude": site.latitude,
            "longitude": site.longitude,
        }
        session.execute(
            table.insert().values(
                site_id=site.site_id,
                meter_id="",
                kind=NO_COORDINATES,
                started_at=now,
                ended_at=None,
                open=True,
                detail=json.dumps(detail, ensure_ascii=False),
                source=SOURCE,
                created_at=now,
                updated_at=now,
            )
        )


def _dialect_insert(session: Session):
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise ValueError(f"the registry supports PostgreSQL and SQLite, not {name}")


def _upsert(session: Session, insert, table: Table, key: str, rows: list[dict], same_site: bool = False) -> set:
    """Insert or update ``rows``; the keys of the rows inserted or changed (those already right are left alone)."""
    # One statement executed with many parameter sets: compiled once and cached, where a
    # multi-row VALUES would be compiled anew for every announcement.
    statement = insert(table)
    columns = [c for c in rows[0] if c != key]
    changed = or_(*(table.c[c].is_distinct_from(statement.excluded[c]) for c in columns))
    if same_site:
        changed = changed & (table.c.site_id == statement.excluded.site_id)
    result = session.execute(
        statement.on_conflict_do_update(
            index_elements=[key], set_={c: statement.excluded[c] for c in columns}, where=changed
        ).returning(table.c[key]),
        rows,
    )
    return set(result.scalars())


def _table(record: type[Base]) -> Table:
    # A declarative class maps to a Table; SQLAlchemy types ``__table__`` as the wider FromClause.
    return cast(Table, record.__table__)


def site_from(record: SiteRecord | _SiteRow) -> Site:
    return Site(
        site_id=record.site_id,
        name=record.name,
        site_type=SiteType(record.site_type),
        city=record.city,
        province=record.province,
        latitude=record.latitude,
        longitude=record.longitude,
        timezone=record.timezone,
        # Callers may pass a row of the Site columns without this one (api.routes.carbon does).
        location_source=getattr(record, "location_source", GIVEN),
        opening_hours=declared_hours(getattr(record, "opening_hours", None)),
    )


def declared_hours(stored: object) -> DeclaredHours | None:
    """A site's stored opening hours; None (learn them) if unreadable, which the checks on every
    way in make a hand-edited row's fault, not a reason to stop detection."""
    try:
        return check_opening_hours(stored)
    except InvalidField:
        return None


def meter_from(record: MeterRecord) -> Meter:
    return Meter(
        meter_id=record.meter_id,
        site_id=record.site_id,
        category=MeterCategory(record.category),
        rated_kw=record.rated_kw,
        name=record.name,
        register_max=record.register_max,
    )


def load_sites(session: Session, active_only: bool = False) -> dict[str, Site]:
    """Sites by id; ``active_only`` leaves out retired ones."""
    query = select(SiteRecord)
    if active_only:
        query = query.where(SiteRecord.retired_at.is_(None))
    return {r.site_id: site_from(r) for r in session.scalars(query)}


def load_meters(session: Session, site_id: str | None = None, active_only: bool = False) -> dict[str, Meter]:
    """Meters by id (of one site, or all); ``active_only`` leaves out those of retired sites."""
    query = select(MeterRecord)
    if site_id is not None:
        query = query.where(MeterRecord.site_id == site_id)
    if active_only:
        query = query.join(SiteRecord, SiteRecord.site_id == MeterRecord.site_id).where(SiteRecord.retired_at.is_(None))
    return {r.meter_id: meter_from(r) for r in session.scalars(query)}


#: ``Meter``'s fields, in order, as registry columns.
_METER_COLUMNS = ("meter_id", "site_id", "category", "rated_kw", "name", "register_max")


class _SiteRow(NamedTuple):
    """The columns of ``Site`` a ledger needs (a tariff is not part of one; nor is the location source)."""

    site_id: str
    name: str
    site_type: str
    city: str
    province: str
    latitude: float
    longitude: float
    timezone: str


_SITE_COLUMNS = _SiteRow._fields


def meters_by_site(session: Session, site_id: str | None = None) -> dict[str, list[Meter]]:
    """Registered meters by site (of one site, or all), read as plain rows.

    A portfolio has tens of thousands of meters: an ORM object costs ~30 µs, a row and a
    cached ``Meter`` a few.
    """
    table = _table(MeterRecord)
    query = select(*(table.c[name] for name in _METER_COLUMNS))
    if site_id is not None:
        query = query.where(table.c.site_id == site_id)
    by_site: dict[str, list[Meter]] = {}
    for row in session.connection().execute(query):
        meter = _meter(tuple(row))
        by_site.setdefault(meter.site_id, []).append(meter)
    return by_site


def ledger_sites(session: Session, site_ids: Collection[str] | None = None) -> list[Site]:
    """Sites in id order (every one, or those of ``site_ids``) with the columns a ledger needs."""
    table = _table(SiteRecord)
    query = select(*(table.c[name] for name in _SITE_COLUMNS)).order_by(table.c.site_id)
    if site_ids is not None:
        query = query.where(table.c.site_id.in_(site_ids))
    return [_site(tuple(row)) for row in session.connection().execute(query)]


# Keyed by the whole row (a plain tuple, which pins no result metadata): a changed row is a new
# key, so a hit is always current, and rows of changed meters or sites age out. Sized at twice
# the largest portfolio measured (5,000 sites of 50 meters) or more: a scan over more rows than
# the cache holds misses on every row (LRU), which costs building each object again, no more.
@lru_cache(maxsize=2**19)
def _meter(row: tuple) -> Meter:
    meter_id, site_id, category, rated_kw, name, register_max = row
    return Meter(meter_id, site_id, MeterCategory(category), rated_kw, name, register_max)


@lru_cache(maxsize=2**14)
def _site(row: tuple) -> Site:
    return site_from(_SiteRow(*row))
