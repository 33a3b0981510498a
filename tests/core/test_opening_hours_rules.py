"""Declared opening hours pass one set of rules, whether a meta announcement or the API brings them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from core.domain import DeclaredHours, Meter, MeterCategory, Site, SiteType
from core.site_rules import InvalidField, check_opening_hours, opening_hours_json
from core.wire import decode, encode_meta, meta_topic

SITE = Site("site-0001", "万象城", SiteType.MALL, "深圳", "广东", 22.52, 113.94)
METER = Meter("m-1", "site-0001", MeterCategory.PUBLIC_HVAC, 40.0, "公区空调")
OFFICE_HOURS = {"workday": {"open": "08:30", "close": "19:00"}, "other": None}


def _meta(hours: object) -> bytes:
    body = json.loads(encode_meta(SITE, [METER]))
    body["site"]["opening_hours"] = hours
    return json.dumps(body, ensure_ascii=False).encode()


def test_half_hours_and_closed_days_are_declared():
    assert check_opening_hours(OFFICE_HOURS) == DeclaredHours((8.5, 19.0), None)


def test_a_site_open_round_the_clock_declares_midnight_to_24():
    assert check_opening_hours(
        {"workday": {"open": "00:00", "close": "24:00"}, "other": {"open": "00:00", "close": "24:00"}}
    ) == DeclaredHours((0.0, 24.0), (0.0, 24.0))


def test_null_declares_none():
    assert check_opening_hours(None) is None


def test_the_json_form_round_trips():
    declared = DeclaredHours((6.5, 24.0), (9.0, 21.5))
    assert check_opening_hours(opening_hours_json(declared)) == declared
    assert opening_hours_json(declared) == {
        "workday": {"open": "06:30", "close": "24:00"},
        "other": {"open": "09:00", "close": "21:30"},
    }


@pytest.mark.parametrize(
    ("hours", "says"),
    [
        ({"workday": {"open": "19:00", "close": "08:00"}, "other": None}, "workday.close 08:00 is not after workday.open 19:00"),
        ({"workday": {"open": "08:00", "close": "08:00"}, "other": None}, "is not after"),
        ({"workday": {"open": "08:00", "close": "25:00"}, "other": None}, "workday.close '25:00'"),
        ({"workday": {"open": "-01:00", "close": "08:00"}, "other": None}, "workday.open '-01:00'"),
        ({"workday": {"open": "24:00", "close": "24:00"}, "other": None}, "is not after"),
        ({"workday": None, "other": {"open": "08:15", "close": "12:00"}}, "on the hour or half hour"),
        ({"workday": {"open": 8, "close": 19}, "other": None}, "workday.open is not a local time HH:MM"),
        ({"workday": ["08:00", "19:00"], "other": None}, "workday is not"),
        ({"workday": {"open": "08:00"}, "other": None}, "workday is not"),
        ({"workday": None}, "other is missing"),
        ({"workday": None, "other": None, "weekend": None}, "unknown day kinds weekend"),
        ("08:00-19:00", "is not an object"),
        ([8, 19], "is not an object"),
    ],
)
def test_bad_hours_are_refused_naming_what_is_wrong(hours, says):
    with pytest.raises(InvalidField) as refused:
        check_opening_hours(hours)
    assert refused.value.field == "opening_hours" and says in refused.value.message


def test_a_meta_announcement_carries_the_declared_hours():
    declared = DeclaredHours((9.5, 22.0), (9.5, 22.5))
    payload = encode_meta(dataclasses.replace(SITE, opening_hours=declared), [METER])

    out = decode(meta_topic(SITE.site_id), payload)

    assert json.loads(payload)["site"]["opening_hours"]["other"] == {"open": "09:30", "close": "22:30"}
    assert out.meta is not None and out.meta[0].opening_hours == declared and not out.rejections


def test_a_meta_announcement_without_hours_declares_none():
    out = decode(meta_topic(SITE.site_id), encode_meta(SITE, [METER]))
    assert "opening_hours" not in json.loads(encode_meta(SITE, [METER]))["site"]
    assert out.meta is not None and out.meta[0].opening_hours is None


def test_a_meta_announcement_with_bad_hours_is_refused_whole_naming_the_field():
    out = decode(meta_topic(SITE.site_id), _meta({"workday": {"open": "22:00", "close": "06:00"}, "other": None}))

    assert out.meta is None
    [rejection] = out.rejections
    assert rejection.kind == "bad_meta_opening_hours"
    assert "site.opening_hours workday.close 06:00 is not after workday.open 22:00" in rejection.reason


@pytest.fixture(scope="module")
def meta_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "wire-schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/meta"})


@pytest.mark.parametrize("hours", [OFFICE_HOURS, None, {"workday": {"open": "00:00", "close": "24:00"}, "other": None}])
def test_the_wire_schema_accepts_the_hours_the_decoder_accepts(meta_schema, hours):
    assert not decode(meta_topic(SITE.site_id), _meta(hours)).rejections
    assert meta_schema.is_valid(json.loads(_meta(hours)))


@pytest.mark.parametrize(
    "hours",
    [
        {"workday": {"open": "08:15", "close": "19:00"}, "other": None},
        {"workday": {"open": "08:00", "close": "24:30"}, "other": None},
        {"workday": {"open": "08:00", "close": "19:00"}},
        {"workday": None, "other": None, "holiday": None},
        {"workday": {"open": 8, "close": 19}, "other": None},
    ],
)
def test_the_wire_schema_refuses_hours_the_decoder_refuses(meta_schema, hours):
    assert decode(meta_topic(SITE.site_id), _meta(hours)).rejections
    assert not meta_schema.is_valid(json.loads(_meta(hours)))
