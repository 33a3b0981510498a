"""Opening hours in a meta announcement over a real broker: declared ones reach the registry, bad
ones are dead-lettered with nothing of the announcement stored, and the API's stay when an
announcement declares none."""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import update

from core.db.tables import SiteRecord
from core.domain import DeclaredHours, Meter, MeterCategory, Site, SiteType
from core.wire import encode_meta, meta_topic
from tests.ingest.conftest import METERS, SITE, wait_dead_letters
from tests.support import wait_for

MALL = DeclaredHours((9.5, 22.0), (9.5, 22.5))


def _hours(sessions, site_id: str) -> object:
    with sessions() as session:
        record = session.get(SiteRecord, site_id)
        return None if record is None else record.opening_hours


def test_declared_hours_reach_the_registry(worker, publisher, sessions):
    publisher.announce(dataclasses.replace(SITE, opening_hours=MALL), METERS)

    wait_for(
        lambda: (
            _hours(sessions, SITE.site_id)
            == {"workday": {"open": "09:30", "close": "22:00"}, "other": {"open": "09:30", "close": "22:30"}}
        ),
        what="declared hours stored",
    )


def test_bad_hours_are_dead_lettered_and_nothing_of_the_announcement_is_stored(worker, publisher, sessions):
    site = Site("site-night", "夜市", SiteType.MALL, "", "上海", 31.2, 121.5)
    body = json.loads(encode_meta(site, [Meter("night-1", "site-night", MeterCategory.PUBLIC_HVAC, 5.0)]))
    body["site"]["opening_hours"] = {"workday": {"open": "18:00", "close": "02:00"}, "other": None}
    publisher.raw(meta_topic(site.site_id, publisher.prefix), json.dumps(body).encode(), retain=True)

    [row] = wait_dead_letters(sessions, 1)
    assert row.kind == "bad_meta_opening_hours" and "site.opening_hours workday.close 02:00" in row.reason
    with sessions() as session:
        assert session.get(SiteRecord, "site-night") is None


def test_an_announcement_without_hours_keeps_those_an_administrator_set(worker, publisher, sessions):
    wait_for(lambda: _hours(sessions, SITE.site_id) is None and _site_known(sessions), what="site announced")
    set_by_admin = {"workday": {"open": "07:00", "close": "20:00"}, "other": None}
    with sessions.begin() as session:
        session.execute(update(SiteRecord).where(SiteRecord.site_id == SITE.site_id).values(opening_hours=set_by_admin))

    publisher.announce(dataclasses.replace(SITE, name="改名后的站点"), METERS)

    wait_for(lambda: _name(sessions) == "改名后的站点", what="the new announcement applied")
    assert _hours(sessions, SITE.site_id) == set_by_admin


def _site_known(sessions) -> bool:
    with sessions() as session:
        return session.get(SiteRecord, SITE.site_id) is not None


def _name(sessions) -> str | None:
    with sessions() as session:
        record = session.get(SiteRecord, SITE.site_id)
        return None if record is None else record.name
