"""Site announcements over a real broker: bad ones are dead-lettered, empty ones retire the site,
and no site's announcement takes another site's meter."""

from __future__ import annotations

import json

from sqlalchemy import select

from core.db.tables import DataFindingRecord, MeterRecord, SiteRecord
from core.domain import Meter, MeterCategory, Site, SiteType
from core.geo import capital_of
from core.wire import encode_meta, meta_topic
from tests.ingest.conftest import (
    METERS,
    NOW,
    OTHER_METERS,
    OTHER_SITE,
    SITE,
    dead_letters,
    stored,
    wait_dead_letters,
    wait_stored,
)
from tests.support import wait_for

LOBBY = METERS[0].meter_id
T0 = NOW - 3600


def _site(sessions, site_id: str) -> SiteRecord | None:
    with sessions() as session:
        return session.get(SiteRecord, site_id)


def _meter(sessions, meter_id: str) -> MeterRecord | None:
    with sessions() as session:
        return session.get(MeterRecord, meter_id)


def test_a_meta_with_a_bad_time_zone_is_dead_lettered_and_nothing_is_stored(worker, publisher, store, sessions):
    poisoned = Site("site-mars", "Olympus", SiteType.OFFICE, "", "上海", 31.2, 121.5, timezone="Mars/Olympus")
    publisher.announce(poisoned, [Meter("mars-1", "site-mars", MeterCategory.ELEVATOR, 5.0)])
    publisher.reading(LOBBY, T0, 1.0)

    wait_stored(store, LOBBY, 1)
    [row] = wait_dead_letters(sessions, 1)
    assert row.kind == "bad_meta_tz" and "site.tz" in row.reason
    assert _site(sessions, "site-mars") is None and _meter(sessions, "mars-1") is None


def test_a_meta_with_nan_values_is_dead_lettered(worker, publisher, sessions):
    body = json.loads(encode_meta(OTHER_SITE, OTHER_METERS))
    body["meters"][0]["rated_kw"] = float("nan")
    publisher.raw(meta_topic(OTHER_SITE.site_id, publisher.prefix), json.dumps(body).encode(), retain=True)

    [row] = wait_dead_letters(sessions, 1)
    assert row.kind == "bad_meta_rated_kw"
    assert _meter(sessions, OTHER_METERS[0].meter_id).rated_kw == OTHER_METERS[0].rated_kw


def test_an_empty_retained_meta_retires_the_site_and_keeps_its_data(
    worker, start_worker, mqtt_settings, publisher, store, sessions
):
    publisher.reading(LOBBY, T0, 1.0)
    wait_stored(store, LOBBY, 1)

    publisher.raw(meta_topic(SITE.site_id, publisher.prefix), b"", retain=True)
    wait_for(lambda: _site(sessions, SITE.site_id).retired_at == NOW, what="site retired")
    publisher.reading(LOBBY, T0 + 900, 2.0)

    [row] = wait_dead_letters(sessions, 1)
    assert row.kind == "unknown_site"
    assert [p.ts for p in stored(store, LOBBY)] == [T0]
    assert _meter(sessions, LOBBY).site_id == SITE.site_id
    # The broker dropped the retained announcement: a worker started now does not bring the site back.
    late = start_worker(mqtt=mqtt_settings.model_copy(update={"client_id": mqtt_settings.client_id + "-late"}))
    wait_for(lambda: late.stats.announcements == 1, what="site-b's retained announcement, the only one left")
    publisher.reading(LOBBY, T0 + 1800, 3.0)
    wait_for(lambda: late.stats.rejected["unknown_site"] == 1, what="the new worker refused the reading")
    assert late.stats.announcements == 1 and _site(sessions, SITE.site_id).retired_at == NOW


def test_announcing_a_retired_site_again_brings_it_back(worker, publisher, store, sessions):
    publisher.raw(meta_topic(SITE.site_id, publisher.prefix), b"", retain=True)
    wait_for(lambda: _site(sessions, SITE.site_id).retired_at is not None, what="site retired")

    publisher.announce(SITE, METERS)
    wait_for(lambda: _site(sessions, SITE.site_id).retired_at is None, what="site active again")
    publisher.reading(LOBBY, T0, 1.0)

    wait_stored(store, LOBBY, 1)
    assert dead_letters(sessions) == []


def test_a_meta_listing_another_sites_meter_does_not_take_it(worker, publisher, store, sessions):
    stolen = Meter(LOBBY, OTHER_SITE.site_id, MeterCategory.GAS, 1.0)
    publisher.announce(OTHER_SITE, [*OTHER_METERS, stolen])

    [row] = wait_dead_letters(sessions, 1)
    assert row.kind == "meter_claimed" and repr(LOBBY) in row.reason and repr(SITE.site_id) in row.reason
    owner = _meter(sessions, LOBBY)
    assert (owner.site_id, owner.category) == (SITE.site_id, MeterCategory.LOBBY_LIGHTING.value)
    publisher.reading(LOBBY, T0, 1.0)
    wait_stored(store, LOBBY, 1)
    assert [r.kind for r in dead_letters(sessions)] == ["meter_claimed"]


def test_a_site_without_coordinates_sits_at_its_province_capital_with_a_finding(worker, publisher, sessions):
    body = json.loads(encode_meta(Site("site-c", "无坐标", SiteType.OFFICE, "", "北京", 0.0, 0.0), []))
    del body["site"]["lat"], body["site"]["lon"]
    publisher.raw(meta_topic("site-c", publisher.prefix), json.dumps(body).encode(), retain=True)

    record = wait_for(lambda: _site(sessions, "site-c"), what="site-c stored")
    beijing = capital_of("北京")
    assert (record.latitude, record.longitude, record.location_source) == (
        beijing.latitude,
        beijing.longitude,
        "province_capital",
    )
    with sessions() as session:
        [finding] = session.scalars(select(DataFindingRecord).where(DataFindingRecord.site_id == "site-c"))
    assert (finding.kind, finding.meter_id, finding.open) == ("no_coordinates", "", True)
