"""The registry keeps a meter with the site that announced it first, on both backends."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from core.db.registry import load_meters, load_sites, move_meter, retire_site, upsert_site
from core.db.session import migrate, session_factory
from core.db.tables import DataFindingRecord, SiteRecord
from core.domain import Meter, MeterCategory, Site, SiteType
from core.site_rules import PROVINCE_CAPITAL

SITE_A = Site("a", "甲", SiteType.OFFICE, "上海", "上海", 31.2, 121.5)
SITE_B = Site("b", "乙", SiteType.MALL, "杭州", "浙江", 30.3, 120.2)
SHARED = Meter("m-1", "a", MeterCategory.ELEVATOR, 5.0, "电梯")


@pytest.fixture
def sessions(engine):
    migrate(engine)
    return session_factory(engine)


def test_another_sites_announcement_leaves_the_meter_and_reports_the_owner(sessions):
    with sessions.begin() as session:
        assert upsert_site(session, SITE_A, [SHARED]) == {}
    with sessions.begin() as session:
        stolen = dataclasses.replace(SHARED, site_id="b", category=MeterCategory.GAS, rated_kw=1.0)
        own = Meter("m-2", "b", MeterCategory.CHILLER, 80.0)
        claimed = upsert_site(session, SITE_B, [stolen, own])
    with sessions() as session:
        meters = load_meters(session)

    assert claimed == {"m-1": "a"}
    assert meters["m-1"] == SHARED and meters["m-2"] == own


def test_an_admin_move_makes_the_new_site_the_owner(sessions):
    with sessions.begin() as session:
        upsert_site(session, SITE_A, [SHARED])
        upsert_site(session, SITE_B, [])
        move_meter(session, "m-1", "b")
    with sessions.begin() as session:
        moved = dataclasses.replace(SHARED, site_id="b", rated_kw=6.0)
        assert upsert_site(session, SITE_B, [moved]) == {}
        assert upsert_site(session, SITE_A, [SHARED]) == {"m-1": "b"}
    with sessions() as session:
        assert load_meters(session)["m-1"] == moved


def test_a_retired_site_is_kept_but_left_out_of_active_lookups(sessions):
    with sessions.begin() as session:
        upsert_site(session, SITE_A, [SHARED])
        assert retire_site(session, "a", now=1_800_000_000)
        assert retire_site(session, "a", now=1_800_000_001)  # already retired: still known, still the first time
        assert not retire_site(session, "nowhere", now=1_800_000_000)
        assert session.get(SiteRecord, "a").retired_at == 1_800_000_000
    with sessions() as session:
        assert "a" in load_sites(session) and "a" not in load_sites(session, active_only=True)
        assert "m-1" in load_meters(session) and load_meters(session, active_only=True) == {}
    with sessions.begin() as session:
        upsert_site(session, SITE_A, [SHARED])
    with sessions() as session:
        assert session.get(SiteRecord, "a").retired_at is None


def test_site_level_findings_of_two_sites_may_start_in_the_same_second(sessions):
    capital = dataclasses.replace(SITE_A, latitude=31.23, longitude=121.474, location_source=PROVINCE_CAPITAL)
    with sessions.begin() as session:
        upsert_site(session, capital, [], now=1_800_000_000)
        upsert_site(session, dataclasses.replace(capital, site_id="b"), [], now=1_800_000_000)
    with sessions() as session:
        rows = session.scalars(select(DataFindingRecord).order_by(DataFindingRecord.site_id)).all()
        assert [(r.site_id, r.kind, r.open) for r in rows] == [("a", "no_coordinates", True), ("b", "no_coordinates", True)]


def test_upgrading_moves_sites_stored_at_zero_zero_to_their_province_capital(engine):
    migrate(engine, revision="0004")
    with engine.begin() as conn:
        for site_id, lat in (("origin", 0), ("given", 23.1)):
            conn.exec_driver_sql(
                "INSERT INTO sites (site_id, name, site_type, city, province, latitude, longitude, timezone) "
                f"VALUES ('{site_id}', 'n', 'office', '', '广东省', {lat}, {lat and 113.3}, 'Asia/Shanghai')"
            )
        conn.exec_driver_sql(
            "INSERT INTO meters (meter_id, site_id, category, rated_kw, name, register_max) "
            "VALUES ('m-bad', 'given', 'elevator', -5, '', 0), ('m-ok', 'given', 'elevator', 5, '', 99.5)"
        )
    migrate(engine)
    with session_factory(engine)() as session:
        origin, given = session.get(SiteRecord, "origin"), session.get(SiteRecord, "given")
        meters = load_meters(session)
    assert (meters["m-bad"].rated_kw, meters["m-bad"].register_max) == (0.0, None)
    assert (meters["m-ok"].rated_kw, meters["m-ok"].register_max) == (5.0, 99.5)

    assert (origin.latitude, origin.longitude, origin.location_source) == (23.129, 113.264, PROVINCE_CAPITAL)
    assert (given.latitude, given.location_source) == (23.1, "given")
