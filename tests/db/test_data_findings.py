"""Data findings keyed (site, meter, kind, start): the first writer owns a key, later ones extend it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.data_findings import (
    DataFindingKind,
    FindingSource,
    close_ended,
    close_site_finding,
    finding_row,
    hold_site_finding,
    insert_findings,
    open_findings,
    open_sites,
    upsert_finding,
)
from core.db.registry import upsert_site
from core.db.session import migrate, session_factory
from core.db.tables import DataFindingRecord
from core.domain import Meter, MeterCategory, Site, SiteType

SITE = Site("sz-01", "华润万象城·深圳湾", SiteType.MALL, "深圳", "广东省", 22.52, 113.94)
METER = Meter("sz-01-garage", "sz-01", MeterCategory.GARAGE_LIGHTING, 12.0)
T0 = 1_750_000_000
RESET, STUCK = DataFindingKind.REGISTER_RESET, DataFindingKind.STUCK_REGISTER


@pytest.fixture
def sessions(engine):
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        upsert_site(session, SITE, [METER], now=T0)
    return sessions


def _rows(sessions) -> list[tuple]:
    with sessions() as session:
        return [
            (r.kind, r.started_at, r.ended_at, r.open, r.source, r.detail)
            for r in session.scalars(
                select(DataFindingRecord).where(DataFindingRecord.meter_id == METER.meter_id).order_by(DataFindingRecord.id)
            )
        ]


def test_a_key_already_recorded_is_not_inserted_twice(sessions):
    row = finding_row(SITE.site_id, METER.meter_id, RESET, T0, T0, {"previous_register": 5.0}, FindingSource.INGEST, T0)
    with sessions.begin() as session:
        insert_findings(session, [row])
    with sessions.begin() as session:
        insert_findings(session, [{**row, "detail": "{}", "created_at": T0 + 60}])

    assert _rows(sessions) == [("register_reset", T0, T0, False, "ingest", json.dumps({"previous_register": 5.0}))]


def test_an_upsert_extends_the_finding_and_keeps_another_writers_detail(sessions):
    with sessions.begin() as session:
        insert_findings(
            session, [finding_row(SITE.site_id, METER.meter_id, STUCK, T0, None, {"by": "ingest"}, FindingSource.INGEST, T0)]
        )
    with sessions.begin() as session:
        written = upsert_finding(
            session,
            SITE.site_id,
            METER.meter_id,
            STUCK,
            T0,
            T0 + 7200,
            True,
            '{"by": "detector"}',
            FindingSource.DETECTOR,
            T0 + 7200,
        )

    assert written
    assert _rows(sessions) == [("stuck_register", T0, T0 + 7200, True, "ingest", json.dumps({"by": "ingest"}))]


def test_an_upsert_never_moves_the_end_back_and_reports_no_change_as_unwritten(sessions):
    args = (SITE.site_id, METER.meter_id, STUCK, T0)
    with sessions.begin() as session:
        assert upsert_finding(session, *args, T0 + 7200, True, '{"n": 1}', FindingSource.DETECTOR, T0)
    with sessions.begin() as session:
        assert not upsert_finding(session, *args, T0 + 7200, True, '{"n": 2}', FindingSource.DETECTOR, T0 + 60)
    with sessions.begin() as session:
        assert upsert_finding(session, *args, T0 + 3600, False, '{"n": 3}', FindingSource.DETECTOR, T0 + 120)

    assert _rows(sessions) == [("stuck_register", T0, T0 + 7200, False, "detector", '{"n": 3}')]


def test_close_ended_closes_only_the_sources_findings_that_ended_before(sessions):
    with sessions.begin() as session:
        upsert_finding(session, SITE.site_id, METER.meter_id, STUCK, T0, T0 + 3600, True, "", FindingSource.DETECTOR, T0)
        upsert_finding(session, SITE.site_id, METER.meter_id, STUCK, T0 + 9000, T0 + 9600, True, "", FindingSource.DETECTOR, T0)
        insert_findings(
            session,
            [finding_row(SITE.site_id, METER.meter_id, DataFindingKind.STALE_METER, T0, None, {}, FindingSource.INGEST, T0)],
        )
    with sessions.begin() as session:
        close_ended(session, SITE.site_id, FindingSource.DETECTOR, before=T0 + 7200, now=T0 + 7200)

    with sessions() as session:
        assert open_findings(session, STUCK, FindingSource.DETECTOR) == {METER.meter_id: T0 + 9000}
        assert open_findings(session, DataFindingKind.STALE_METER, FindingSource.INGEST) == {METER.meter_id: T0}


def test_a_site_finding_held_again_keeps_its_start_and_takes_the_new_detail_until_closed(sessions):
    failed = DataFindingKind.DETECTION_FAILED
    with sessions.begin() as session:
        hold_site_finding(session, SITE.site_id, failed, '{"error": "a"}', FindingSource.DETECTOR, T0)
    with sessions.begin() as session:
        hold_site_finding(session, SITE.site_id, failed, '{"error": "b"}', FindingSource.DETECTOR, T0 + 60)
    with sessions() as session:
        assert open_sites(session, failed) == {SITE.site_id}
    with sessions.begin() as session:
        close_site_finding(session, SITE.site_id, failed, T0 + 120)

    with sessions() as session:
        rows = [(r.meter_id, r.started_at, r.ended_at, r.open, r.detail) for r in session.scalars(select(DataFindingRecord))]
        assert open_sites(session, failed) == set()
    assert rows == [("", T0, T0 + 120, False, '{"error": "b"}')]
