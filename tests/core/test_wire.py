"""The MQTT wire contract: what encodes decodes, and bad input is rejected, never raised."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from core.domain import Meter, MeterCategory, Reading, Site, SiteType
from core.wire import batch_topic, decode, encode_batch, encode_meta, encode_reading, meta_topic, reading_topic

SITE = Site("site-0001", "阳光花园", SiteType.RESIDENTIAL, "Chengdu", "四川", 30.66, 104.06)


def test_a_reading_round_trips():
    r = Reading("site-0001", "m-1", 1767225600, 1234.5, 2.5)
    out = decode(reading_topic("site-0001", "m-1"), encode_reading(r))
    assert out.readings == [r] and out.rejections == []


def test_a_batch_round_trips():
    rs = [Reading("site-0001", f"m-{i}", 1767225600, 10.0 * i) for i in range(3)]
    out = decode(batch_topic("site-0001"), encode_batch("site-0001", rs))
    assert out.readings == rs


def test_a_meta_announcement_round_trips_with_chinese_names():
    meters = [
        Meter("m-1", "site-0001", MeterCategory.CORRIDOR_LIGHTING, 4.0, "1号楼走廊"),
        Meter("m-2", "site-0001", MeterCategory.WATER_PUMP, 7.5, "生活水泵", register_max=99999.99),
    ]
    out = decode(meta_topic("site-0001"), encode_meta(SITE, meters))
    assert out.meta == (SITE, meters)


def test_a_bad_item_in_a_batch_does_not_stop_the_others():
    payload = json.dumps(
        {
            "v": 1,
            "site": "s1",
            "readings": [
                {"meter": "a", "ts": "2026-01-01T00:00:00Z", "register": 1.0},
                {"meter": "b", "ts": "2026-01-01T00:00:00Z", "register": "NaN"},
                {"meter": "c", "ts": "2026-01-01T00:00:00Z", "register": 3.0},
            ],
        }
    ).encode()
    out = decode(batch_topic("s1"), payload)
    assert [r.meter_id for r in out.readings] == ["a", "c"]
    assert len(out.rejections) == 1 and "not a number" in out.rejections[0].reason


def test_each_batch_item_is_judged_on_its_own_timestamp_register_and_meter():
    items = [
        b'{"meter": "a", "ts": "2026-01-01T00:00:00Z", "register": 1.5}',
        b'{"meter": "b", "ts": "2026-01-01T00:00:00Z", "register": Infinity}',
        b'{"meter": "c", "ts": "2026-01-01T00:00:00Z", "register": -Infinity}',
        b'{"meter": "d", "ts": "2026-01-01T00:00:00Z", "register": NaN}',
        b'{"meter": "e f", "ts": "2026-01-01T00:00:00Z", "register": 2.5}',
        b'{"meter": "g", "ts": "2026-01-01T00:15:00+00:00", "register": 3.5}',
        b'{"meter": "h", "ts": "2026-01-01T00:15:00", "register": 4.5}',
        b'{"meter": "i", "ts": "2026-01-01T00:15:00+00:00", "register": 5}',
        b'{"meter": "j", "ts": "2026-01-01T08:00:00+08:00", "register": -0.0}',
    ]
    payload = b'{"v": 1, "site": "s1", "readings": [' + b", ".join(items) + b"]}"

    out = decode(batch_topic("s1"), payload)

    midnight = 1_767_225_600  # 2026-01-01T00:00:00Z
    assert [(r.meter_id, r.ts, r.register) for r in out.readings] == [
        ("a", midnight, 1.5),
        ("g", midnight + 900, 3.5),
        ("i", midnight + 900, 5.0),
        ("j", midnight, -0.0),
    ]
    reasons = [r.reason for r in out.rejections]
    assert len(reasons) == 5
    assert sum("not finite" in r for r in reasons) == 3
    assert any("invalid meter id" in r for r in reasons) and any("no time zone" in r for r in reasons)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "malformed JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"v": 2, "ts": 1, "register": 1}', "unsupported payload version"),
        (b'{"v": true, "ts": 1, "register": 1}', "unsupported payload version"),
        (b'{"v": 1, "register": 1}', "bad 'ts'"),
        (b'{"v": 1, "ts": "2026-01-01T00:00:00", "register": 1}', "no time zone"),
        (b'{"v": 1, "ts": 1, "register": Infinity}', "not finite"),
        (b'{"v": 1, "ts": 1, "register": true}', "not a number"),
        (b"\xff\xfe", "malformed JSON"),
    ],
)
def test_bad_payloads_are_rejected_with_a_reason(payload, reason):
    out = decode(reading_topic("s1", "m1"), payload)
    assert out.readings == [] and reason in out.rejections[0].reason


def test_topic_and_payload_that_disagree_are_rejected():
    out = decode(batch_topic("s1"), encode_batch("s2", [Reading("s2", "m", 1, 1.0)]))
    assert "does not match topic" in out.rejections[0].reason


def test_oversized_payloads_are_rejected_unread():
    out = decode(reading_topic("s1", "m1"), b" " * (300 * 1024))
    assert "exceeds" in out.rejections[0].reason


@given(
    st.binary(max_size=512),
    st.sampled_from(["kilowatch/v1/s1/m1/reading", "kilowatch/v1/s1/batch", "kilowatch/v1/s1/meta", "kilowatch/v1/x"]),
)
def test_decode_never_raises(payload, topic):
    out = decode(topic, payload)
    assert len(out.readings) + len(out.rejections) >= 0


@pytest.mark.parametrize("bad", ['"register": HUGE', '"register": 2.0, "power": HUGE'])
def test_an_out_of_range_number_in_one_batch_item_rejects_only_that_item(bad):
    # A 400-digit integer parses as a Python int, but no float can hold it.
    bad = bad.replace("HUGE", "9" * 400)
    items = [
        '{"meter": "a", "ts": "2026-01-01T00:00:00Z", "register": 1.0}',
        '{"meter": "b", "ts": "2026-01-01T00:00:00Z", ' + bad + "}",
        '{"meter": "c", "ts": "2026-01-01T00:00:00Z", "register": 3.0}',
    ]
    payload = ('{"v": 1, "site": "s1", "readings": [' + ", ".join(items) + "]}").encode()
    out = decode(batch_topic("s1"), payload)
    assert [r.meter_id for r in out.readings] == ["a", "c"]
    key = "power" if "power" in bad else "register"
    assert len(out.rejections) == 1 and out.rejections[0].reason.startswith(f"'{key}' is out of range")
    assert b'"meter": "b"' in out.rejections[0].payload


def test_an_out_of_range_register_in_a_single_reading_is_rejected_with_a_reason():
    out = decode(reading_topic("s1", "m1"), b'{"v": 1, "ts": 1, "register": 1' + b"0" * 400 + b"}")
    assert out.readings == [] and out.rejections[0].reason.startswith("'register' is out of range")


@pytest.mark.parametrize(
    "payload",
    [
        b'{"v": 1, "ts": 1, "register": 1' + b"0" * 5000 + b"}",  # past Python's int-string limit
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the JSON parser recurses
    ],
)
def test_json_the_parser_refuses_is_rejected_not_raised(payload):
    out = decode(reading_topic("s1", "m1"), payload)
    assert out.readings == [] and out.rejections[0].reason.startswith("malformed JSON")


# --- What real gateways send: epoch milliseconds and named units -------------------------

TS = 1780276500  # 2026-06-01T01:15:00Z


def _one(body: dict):
    return decode(reading_topic("s1", "m1"), json.dumps({"v": 1, **body}).encode())


@pytest.mark.parametrize("ts", [TS * 1000, TS * 1000 + 999, float(TS * 1000 + 500), "2026-06-01T01:15:00Z", TS, TS + 0.9])
def test_milliseconds_seconds_and_iso_timestamps_decode_to_the_same_second(ts):
    out = _one({"ts": ts, "register": 1.0})
    assert [r.ts for r in out.readings] == [TS], out.rejections


def test_the_milliseconds_rule_switches_at_ten_to_the_eleventh():
    from core.wire import MILLISECONDS_FROM

    # Just below: seconds (year 5138, later refused as a future timestamp by ingest, not here).
    assert _one({"ts": MILLISECONDS_FROM - 1, "register": 1.0}).readings[0].ts == MILLISECONDS_FROM - 1
    # From it on: milliseconds (3 March 1973).
    assert _one({"ts": MILLISECONDS_FROM, "register": 1.0}).readings[0].ts == MILLISECONDS_FROM // 1000


def test_milliseconds_work_in_a_batch_item():
    payload = json.dumps({"v": 1, "readings": [{"meter": "m1", "ts": TS * 1000, "register": 2.0}]}).encode()
    assert [r.ts for r in decode(batch_topic("s1"), payload).readings] == [TS]


@pytest.mark.parametrize(
    ("unit", "register", "kwh"),
    [
        ("Wh", 48213570.0, 48213.57),
        ("kWh", 48213.57, 48213.57),
        ("MWh", 48.21357, 48213.57),
        ("m3", 881.04, 881.04),
        (None, 5.5, 5.5),
    ],
)
def test_a_register_unit_is_converted_to_kwh_at_decode(unit, register, kwh):
    out = _one({"ts": TS, "register": register} | ({"unit": unit} if unit else {}))
    assert out.readings[0].register == pytest.approx(kwh, abs=1e-9)


@pytest.mark.parametrize(("unit", "power", "kw"), [("W", 6840, 6.84), ("kW", 6.84, 6.84), (None, 6.84, 6.84)])
def test_a_power_unit_is_converted_to_kw_at_decode(unit, power, kw):
    out = _one({"ts": TS, "register": 1.0, "power": power} | ({"power_unit": unit} if unit else {}))
    assert out.readings[0].power_kw == pytest.approx(kw)


@pytest.mark.parametrize(
    "body",
    [
        {"power": 1.0, "unit": "kwh"},  # spelling is exact: no guessing between mWh and MWh
        {"power": 1.0, "unit": "mWh"},
        {"power": 1.0, "unit": "GJ"},
        {"power": 1.0, "unit": 1000},
        {"power": 1.0, "power_unit": "VA"},
        {"power": 1.0, "power_unit": "kW", "unit": "W"},  # W is power, not a register unit
        {"power_unit": "hp"},  # refused even without a power: the gateway is misconfigured
    ],
)
def test_an_unknown_unit_is_rejected_with_the_bad_unit_kind(body):
    out = _one({"ts": TS, "register": 1.0} | body)
    assert out.readings == []
    [rejection] = out.rejections
    assert rejection.kind == "bad_unit"
    assert "unknown" in rejection.reason and "use one of" in rejection.reason


def test_an_unknown_unit_rejects_only_its_batch_item():
    payload = json.dumps(
        {
            "v": 1,
            "readings": [
                {"meter": "m1", "ts": TS, "register": 1500.0, "unit": "Wh"},
                {"meter": "m2", "ts": TS, "register": 1.0, "unit": "BTU"},
            ],
        }
    ).encode()
    out = decode(batch_topic("s1"), payload)
    assert [(r.meter_id, r.register) for r in out.readings] == [("m1", 1.5)]
    assert [r.kind for r in out.rejections] == ["bad_unit"]
    assert b"BTU" in out.rejections[0].payload


def test_the_wire_schema_names_exactly_the_units_the_decoder_accepts():
    from pathlib import Path

    from core.wire import POWER_UNITS, REGISTER_UNITS

    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "wire-schema.json").read_text(encoding="utf-8"))
    fields = schema["$defs"]["readingFields"]["properties"]
    assert set(fields["unit"]["enum"]) == {*REGISTER_UNITS, None}
    assert set(fields["power_unit"]["enum"]) == {*POWER_UNITS, None}


def test_a_gateway_style_reading_validates_against_the_wire_schema():
    from pathlib import Path

    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "wire-schema.json").read_text(encoding="utf-8"))
    reading = jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/reading"})
    body = {"v": 1, "ts": TS * 1000, "register": 48213570, "unit": "Wh", "power": 6840, "power_unit": "W"}
    assert reading.is_valid(body)
    assert not reading.is_valid(body | {"unit": "BTU"})
    assert _one(body).readings[0].register == pytest.approx(48213.57)
