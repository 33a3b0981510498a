"""The site and meter registry: upserts from announcements, lookups by id."""

from __future__ import annotations

from sqlalchemy import Table, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db.tables import MeterRecord, SiteRecord
from core.domain import Meter, MeterCategory, Site, SiteType


def upsert_site(session: Session, site: Site, meters: list[Meter]) -> None:
    """Create or update a site and its meters (meters are never deleted here).

    ``INSERT ... ON CONFLICT DO UPDATE`` on PostgreSQL and SQLite, the meters in one
    executemany: a national portfolio announces 5,000 sites of ~50 meters when ingest first
    starts, and the ORM's read-then-write took 39 ms a site on PostgreSQL (over three
    minutes); this takes about 6 ms.
    The upsert also lets two workers announce the same new site at once. Rows already
    right are not rewritten; a site's tariff is never touched.
    """
    site_row = {
        "site_id": site.site_id, "name": site.name, "site_type": site.site_type.value, "city": site.city,
        "province": site.province, "latitude": site.latitude, "longitude": site.longitude, "timezone": site.timezone,
    }
    meter_rows = [
        {"meter_id": m.meter_id, "site_id": site.site_id, "category": m.category.value, "rated_kw": m.rated_kw,
         "name": m.name, "register_max": m.register_max}
        for m in meters
    ]
    insert = _dialect_insert(session)
    _upsert(session, insert, SiteRecord.__table__, "site_id", [site_row])
    if meter_rows:
        _upsert(session, insert, MeterRecord.__table__, "meter_id", meter_rows)
    # Records this session already holds would hide the new values until they expire.
    session.expire_all()


def _dialect_insert(session: Session):
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise ValueError(f"the registry supports PostgreSQL and SQLite, not {name}")


def _upsert(session: Session, insert, table: Table, key: str, rows: list[dict]) -> None:
    # One statement executed with many parameter sets: compiled once and cached, where a
    # multi-row VALUES would be compiled anew for every announcement.
    statement = insert(table)
    columns = [c for c in rows[0] if c != key]
    changed = or_(*(table.c[c].is_distinct_from(statement.excluded[c]) for c in columns))
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[key], set_={c: statement.excluded[c] for c in columns}, where=changed
        ),
        rows,
    )


def site_from(record: SiteRecord) -> Site:
    return Site(
        site_id=record.site_id,
        name=record.name,
        site_type=SiteType(record.site_type),
        city=record.city,
        province=record.province,
        latitude=record.latitude,
        longitude=record.longitude,
        timezone=record.timezone,
    )


def meter_from(record: MeterRecord) -> Meter:
    return Meter(
        meter_id=record.meter_id,
        site_id=record.site_id,
        category=MeterCategory(record.category),
        rated_kw=record.rated_kw,
        name=record.name,
        register_max=record.register_max,
    )


def load_sites(session: Session) -> dict[str, Site]:
    return {r.site_id: site_from(r) for r in session.scalars(select(SiteRecord))}


def load_meters(session: Session, site_id: str | None = None) -> dict[str, Meter]:
    query = select(MeterRecord)
    if site_id is not None:
        query = query.where(MeterRecord.site_id == site_id)
    return {r.meter_id: meter_from(r) for r in session.scalars(query)}
