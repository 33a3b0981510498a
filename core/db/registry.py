"""The site and meter registry: upserts from announcements, lookups by id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.tables import MeterRecord, SiteRecord
from core.domain import Meter, MeterCategory, Site, SiteType


def upsert_site(session: Session, site: Site, meters: list[Meter]) -> None:
    """Create or update a site and its meters (meters are never deleted here)."""
    record = session.get(SiteRecord, site.site_id) or SiteRecord(site_id=site.site_id)
    record.name = site.name
    record.site_type = site.site_type.value
    record.city = site.city
    record.province = site.province
    record.latitude = site.latitude
    record.longitude = site.longitude
    record.timezone = site.timezone
    session.add(record)
    session.flush()
    # One query for every meter of the announcement rather than one per meter: a national
    # portfolio announces 5,000 sites of ~50 meters when ingest starts.
    ids = [m.meter_id for m in meters]
    existing = {r.meter_id: r for r in session.scalars(select(MeterRecord).where(MeterRecord.meter_id.in_(ids)))} if ids else {}
    for meter in meters:
        row = existing.get(meter.meter_id)
        values = (site.site_id, meter.category.value, meter.rated_kw, meter.name, meter.register_max)
        if row is not None and (row.site_id, row.category, row.rated_kw, row.name, row.register_max) == values:
            continue
        row = row or MeterRecord(meter_id=meter.meter_id)
        row.site_id, row.category, row.rated_kw, row.name, row.register_max = values
        session.add(row)


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
