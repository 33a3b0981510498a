"""Ledgers read meters and sites from the registry as plain rows, reusing objects only for identical rows."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import update

from core.db.registry import ledger_sites, load_meters, load_sites, meters_by_site, upsert_site
from core.db.session import create_db_engine, migrate, session_factory
from core.db.tables import MeterRecord
from core.domain import MeterCategory
from tests.api.seed import METERS_A, METERS_B, SITE_A


def test_meters_by_site_match_the_registry_and_follow_a_changed_meter(world):
    with world.sessions() as session:
        first = meters_by_site(session)
        assert {s: sorted(m.meter_id for m in ms) for s, ms in first.items()} == {
            "sh-a": sorted(m.meter_id for m in METERS_A),
            "bj-b": sorted(m.meter_id for m in METERS_B),
        }
        assert {m.meter_id: m for m in first["sh-a"]} == {m.meter_id: m for m in METERS_A}
        meter = METERS_A[0]
        session.execute(
            update(MeterRecord).where(MeterRecord.meter_id == meter.meter_id).values(category="elevator", rated_kw=9.5)
        )
        session.commit()
        again = {m.meter_id: m for m in meters_by_site(session)["sh-a"]}
    assert again[meter.meter_id].category is MeterCategory.ELEVATOR
    assert again[meter.meter_id].rated_kw == 9.5
    assert again[METERS_A[1].meter_id] is {m.meter_id: m for m in first["sh-a"]}[METERS_A[1].meter_id]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def test_meters_by_site_reads_plain_rows_on_both_databases(backend, request, tmp_path):
    url = f"sqlite:///{tmp_path / 'k.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_database")()
    engine = create_db_engine(url)
    try:
        migrate(engine)
        sessions = session_factory(engine)
        with sessions() as session:
            upsert_site(session, SITE_A, METERS_A)
            session.commit()
            got = meters_by_site(session)
        assert {m.meter_id: m for m in got["sh-a"]} == {m.meter_id: m for m in METERS_A}
    finally:
        engine.dispose()


def test_one_sites_meters_are_those_the_registry_loads_for_it(world):
    with world.sessions() as session:
        one = meters_by_site(session, "sh-a")
        assert list(one) == ["sh-a"]
        assert {m.meter_id: m for m in one["sh-a"]} == load_meters(session, "sh-a")


def test_ledger_sites_are_in_id_order_and_limited_to_the_ids_asked(world):
    with world.sessions() as session:
        every = ledger_sites(session)
        assert [s.site_id for s in every] == sorted(load_sites(session))
        assert [s.site_id for s in ledger_sites(session, ["sh-a"])] == ["sh-a"]
        assert ledger_sites(session, []) == []
        registered = load_sites(session)
    # The ledger reads no location source: every other field is the registry's.
    assert all(replace(s, location_source=registered[s.site_id].location_source) == registered[s.site_id] for s in every)
