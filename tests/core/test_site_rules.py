"""A meta announcement passes the same site and meter rules as the API, or is refused naming the field."""

from __future__ import annotations

import json

import pytest

from core.domain import Meter, MeterCategory, Site, SiteType
from core.geo import capital_of
from core.site_rules import GIVEN, PROVINCE_CAPITAL
from core.wire import decode, encode_meta, meta_topic

SITE = Site("site-0001", "阳光花园", SiteType.RESIDENTIAL, "Chengdu", "四川", 30.66, 104.06)
METER = Meter("m-1", "site-0001", MeterCategory.CORRIDOR_LIGHTING, 4.0, "1号楼走廊", register_max=99999.99)


def _meta(site: dict | None = None, meter: dict | None = None) -> bytes:
    body = json.loads(encode_meta(SITE, [METER]))
    body["site"].update(site or {})
    body["meters"][0].update(meter or {})
    # json.dumps writes NaN and Infinity as JavaScript does, which is what a sloppy gateway sends.
    return json.dumps(body, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("site", "meter", "kind"),
    [
        ({"tz": "Mars/Olympus"}, None, "bad_meta_tz"),
        ({"lat": float("nan")}, None, "bad_meta_lat"),
        ({"lon": float("inf")}, None, "bad_meta_lon"),
        ({"lat": 1e308}, None, "bad_meta_lat"),
        ({"lon": -1e308}, None, "bad_meta_lon"),
        ({"lat": "north"}, None, "bad_meta_lat"),
        ({"province": "Atlantis"}, None, "bad_meta_province"),
        ({"type": "castle"}, None, "bad_meta_type"),
        ({"name": ""}, None, "bad_meta_name"),
        (None, {"rated_kw": float("nan")}, "bad_meta_rated_kw"),
        (None, {"rated_kw": -4.0}, "bad_meta_rated_kw"),
        (None, {"register_max": float("nan")}, "bad_meta_register_max"),
        (None, {"register_max": -1}, "bad_meta_register_max"),
        (None, {"register_max": 0}, "bad_meta_register_max"),
        (None, {"category": "toaster"}, "bad_meta_category"),
        (None, {"id": "has space"}, "bad_meta_meter_id"),
    ],
)
def test_a_meta_with_a_bad_value_is_refused_naming_the_field(site, meter, kind):
    out = decode(meta_topic("site-0001"), _meta(site, meter))

    assert out.meta is None
    [rejection] = out.rejections
    assert rejection.kind == kind
    field = kind.removeprefix("bad_meta_").replace("meter_id", "id")
    assert f".{field} " in rejection.reason


def test_the_province_may_be_written_as_the_carbon_tables_accept_it():
    for spelling in ("四川", "四川省", "Sichuan", "Sichuan Province"):
        out = decode(meta_topic("site-0001"), _meta({"province": spelling}))
        assert out.meta is not None and out.meta[0].province == spelling


def test_a_site_without_coordinates_is_placed_at_its_province_capital():
    body = json.loads(_meta())
    del body["site"]["lat"], body["site"]["lon"]

    site, _ = decode(meta_topic("site-0001"), json.dumps(body).encode()).meta

    chengdu = capital_of("四川")
    assert (site.latitude, site.longitude, site.location_source) == (chengdu.latitude, chengdu.longitude, PROVINCE_CAPITAL)


def test_zero_zero_counts_as_no_coordinates():
    site, _ = decode(meta_topic("site-0001"), _meta({"lat": 0, "lon": 0})).meta
    assert site.location_source == PROVINCE_CAPITAL and site.latitude > 20


def test_given_coordinates_are_kept():
    site, _ = decode(meta_topic("site-0001"), _meta()).meta
    assert (site.latitude, site.longitude, site.location_source) == (30.66, 104.06, GIVEN)


def test_one_coordinate_alone_is_refused():
    body = json.loads(_meta())
    del body["site"]["lon"]
    [rejection] = decode(meta_topic("site-0001"), json.dumps(body).encode()).rejections
    assert rejection.kind == "bad_meta_lon"


def test_an_empty_meta_message_removes_the_site():
    out = decode(meta_topic("site-0001"), b"")
    assert (out.retire, out.meta, out.rejections) == ("site-0001", None, [])


def test_an_empty_message_elsewhere_is_still_malformed():
    assert decode("kilowatch/v1/site-0001/m-1/reading", b"").rejections[0].reason.startswith("malformed JSON")


def test_a_site_without_coordinates_has_its_province_capitals_sunrise_not_the_gulf_of_guineas():
    from datetime import date, datetime, timedelta, timezone

    from core.solar import sun_times

    body = json.loads(_meta({"province": "北京"}))
    del body["site"]["lat"], body["site"]["lon"]
    site, _ = decode(meta_topic("site-0001"), json.dumps(body).encode()).meta

    sunrise, _ = sun_times(site.latitude, site.longitude, date(2026, 6, 21))
    beijing = datetime.fromtimestamp(sunrise, timezone(timedelta(hours=8)))
    assert (beijing.hour, beijing.minute) < (5, 0) and beijing.hour >= 4  # 04:45 in Beijing at midsummer
