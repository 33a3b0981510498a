"""The portfolio reads meters as plain rows and reuses Meter objects only for identical rows."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from api.routes.carbon import _meters_by_site
from core.db.registry import upsert_site
from core.db.session import create_db_engine, migrate, session_factory
from core.db.tables import MeterRecord
from core.domain import MeterCategory
from tests.api.seed import METERS_A, METERS_B, SITE_A


def test_meters_by_site_match_the_registry_and_follow_a_changed_meter(world):
    with world.sessions() as session:
        first = _meters_by_site(session)
        assert {s: sorted(m.meter_id for m in ms) for s, ms in first.items()} == {
            "sh-a": sorted(m.meter_id for m in METERS_A), "bj-b": sorted(m.meter_id for m in METERS_B),
        }
        assert {m.meter_id: m for m in first["sh-a"]} == {m.meter_id: m for m in METERS_A}
        meter = METERS_A[0]
        session.execute(update(MeterRecord).where(MeterRecord.meter_id == meter.meter_id).values(category="elevator", rated_kw=9.5))
        session.commit()
        again = {m.meter_id: m for m in _meters_by_site(session)["sh-a"]}
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
            got = _meters_by_site(session)
        assert {m.meter_id: m for m in got["sh-a"]} == {m.meter_id: m for m in METERS_A}
    finally:
        engine.dispose()
