"""The MQTT wire contract: what encodes decodes, and bad input is rejected, never raised."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
        {"v": 1, "site": "s1", "readings": [
            {"meter": "a", "ts": "2026-01-01T00:00:00Z", "register": 1.0},
            {"meter": "b", "ts": "2026-01-01T00:00:00Z", "register": "NaN"},
            {"meter": "c", "ts": "2026-01-01T00:00:00Z", "register": 3.0},
        ]}
    ).encode()
    out = decode(batch_topic("s1"), payload)
    assert [r.meter_id for r in out.readings] == ["a", "c"]
    assert len(out.rejections) == 1 and "not a number" in out.rejections[0].reason


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
        (b'\xff\xfe', "malformed JSON"),
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


@given(st.binary(max_size=512), st.sampled_from(["kilowatch/v1/s1/m1/reading", "kilowatch/v1/s1/batch", "kilowatch/v1/s1/meta", "kilowatch/v1/x"]))
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
