"""A site's declared opening hours live in the registry: set by an announcement that carries them,
kept by one that does not, and loaded back for the detector (SQLite and a real PostgreSQL)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import update

from core.db.registry import load_sites, upsert_site
from core.db.session import migrate, session_factory
from core.db.tables import SiteRecord
from core.domain import DeclaredHours, Meter, MeterCategory, Site, SiteType

SITE = Site("bj-01", "国贸写字楼", SiteType.OFFICE, "北京", "北京", 39.91, 116.46)
METERS = [Meter("bj-01-hvac", "bj-01", MeterCategory.PUBLIC_HVAC, 80.0, "公区空调")]
OFFICE = DeclaredHours((8.5, 19.0), None)


@pytest.fixture
def sessions(engine):
    migrate(engine)
    return session_factory(engine)


def _announce(sessions, site: Site) -> None:
    with sessions.begin() as session:
        upsert_site(session, site, METERS)


def _loaded(sessions) -> Site:
    with sessions() as session:
        return load_sites(session)[SITE.site_id]


def test_declared_hours_load_back_with_the_site(sessions):
    _announce(sessions, dataclasses.replace(SITE, opening_hours=OFFICE))

    assert _loaded(sessions).opening_hours == OFFICE


def test_a_site_that_declares_none_loads_without_hours(sessions):
    _announce(sessions, SITE)

    assert _loaded(sessions).opening_hours is None


def test_an_announcement_without_hours_keeps_the_hours_the_registry_holds(sessions):
    _announce(sessions, dataclasses.replace(SITE, opening_hours=OFFICE))

    _announce(sessions, dataclasses.replace(SITE, name="国贸大厦"))

    assert _loaded(sessions).opening_hours == OFFICE
    assert _loaded(sessions).name == "国贸大厦"


def test_an_announcement_with_other_hours_replaces_them(sessions):
    _announce(sessions, dataclasses.replace(SITE, opening_hours=OFFICE))
    later = DeclaredHours((7.0, 21.0), (9.0, 17.0))

    _announce(sessions, dataclasses.replace(SITE, opening_hours=later))

    assert _loaded(sessions).opening_hours == later


def test_unreadable_stored_hours_load_as_none_declared(sessions):
    _announce(sessions, SITE)
    with sessions.begin() as session:  # a hand-edited row: the ways in never store this
        session.execute(update(SiteRecord).values(opening_hours={"workday": {"open": "19:00", "close": "08:00"}}))

    assert _loaded(sessions).opening_hours is None
