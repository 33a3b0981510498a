"""Sites, meters and alerts round-trip through the migrated schema on both backends."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy.exc import IntegrityError

from core.db.registry import load_meters, load_sites, upsert_site
from core.db.session import migrate, session_factory
from core.db.tables import AlertRecord
from core.domain import Meter, MeterCategory, Site, SiteType

SITE = Site("sz-01", "华润万象城·深圳湾", SiteType.MALL, "深圳", "广东省", 22.52, 113.94)
METERS = [
    Meter("sz-01-garage", "sz-01", MeterCategory.GARAGE_LIGHTING, 12.0, "地下车库照明 B2"),
    Meter("sz-01-gas", "sz-01", MeterCategory.GAS, 0.0, "锅炉房燃气表"),
]


@pytest.fixture
def sessions(engine):
    migrate(engine)
    return session_factory(engine)


def _alert(started_at: int, kind: str = "baseline_excess") -> AlertRecord:
    return AlertRecord(
        site_id="sz-01",
        meter_id="sz-01-garage",
        category="garage_lighting",
        kind=kind,
        severity="medium",
        started_at=started_at,
        ended_at=started_at + 3600,
        actual_kwh=10.0,
        expected_kwh=4.0,
        wasted_kwh=6.0,
        cost_cny=5.1,
        co2e_kg=2.6514,
        factor_kg_per_kwh=0.4419,
        factor_source="MEE&NBS 公告2025年第47号",
        created_at=started_at,
        updated_at=started_at,
    )


def test_upserted_site_and_meters_load_back_equal(sessions):
    with sessions.begin() as session:
        upsert_site(session, SITE, METERS)
    with sessions() as session:
        assert load_sites(session) == {"sz-01": SITE}
        assert load_meters(session, "sz-01") == {m.meter_id: m for m in METERS}


def test_upserting_again_updates_in_place(sessions):
    renamed = Site("sz-01", "深圳湾万象城", SiteType.MALL, "深圳", "广东省", 22.52, 113.94)
    with sessions.begin() as session:
        upsert_site(session, SITE, METERS)
    with sessions.begin() as session:
        upsert_site(session, renamed, METERS[:1])
    with sessions() as session:
        assert load_sites(session) == {"sz-01": renamed}
        assert len(load_meters(session)) == 2


def test_chinese_text_round_trips(sessions):
    with sessions.begin() as session:
        upsert_site(session, SITE, METERS)
    with sessions() as session:
        site = load_sites(session)["sz-01"]
        assert (site.name, site.city, site.province) == ("华润万象城·深圳湾", "深圳", "广东省")
        assert load_meters(session)["sz-01-gas"].name == "锅炉房燃气表"


def test_second_alert_for_the_same_episode_is_rejected(sessions):
    with sessions.begin() as session:
        upsert_site(session, SITE, METERS)
        session.add(_alert(started_at=1_700_000_000))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(_alert(started_at=1_700_000_000))


def test_alerts_differing_in_start_or_kind_coexist(sessions):
    with sessions.begin() as session:
        upsert_site(session, SITE, METERS)
        session.add_all([_alert(1_700_000_000), _alert(1_700_003_600), _alert(1_700_000_000, kind="night_on")])
    with sessions() as session:
        assert session.query(AlertRecord).count() == 3


def test_announcing_again_keeps_the_site_tariff(sessions):
    from core.db.tables import SiteRecord

    with sessions.begin() as session:
        upsert_site(session, SITE, METERS)
    with sessions.begin() as session:
        session.get(SiteRecord, "sz-01").tariff_cny_per_kwh = 0.92
    with sessions.begin() as session:
        upsert_site(session, SITE, METERS)
    with sessions() as session:
        assert session.get(SiteRecord, "sz-01").tariff_cny_per_kwh == 0.92


def test_a_site_with_thousands_of_meters_is_upserted_whole(sessions):
    many = [Meter(f"sz-01-m{n:05d}", "sz-01", MeterCategory.CORRIDOR_LIGHTING, 1.0 + n, f"走廊 {n}") for n in range(4500)]
    with sessions.begin() as session:
        upsert_site(session, SITE, many)
    changed = [dataclasses.replace(many[0], rated_kw=99.0), *many[1:]]
    with sessions.begin() as session:
        upsert_site(session, SITE, changed)
    with sessions() as session:
        meters = load_meters(session, "sz-01")
    assert len(meters) == 4500
    assert meters["sz-01-m04499"].rated_kw == 4500.0
    assert meters["sz-01-m00000"].rated_kw == 99.0
