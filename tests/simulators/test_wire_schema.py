"""docs/wire-schema.json describes exactly what core.wire encodes and accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core import wire
from core.domain import ID_PATTERN, MeterCategory, SiteType
from simulators import build_portfolio, generate
from tests.simulators.common import DAY, JUNE_1

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "wire-schema.json").read_text(encoding="utf-8"))


def test_schema_enums_match_the_domain_enums():
    assert set(SCHEMA["$defs"]["siteType"]["enum"]) == {t.value for t in SiteType}
    assert set(SCHEMA["$defs"]["meterCategory"]["enum"]) == {c.value for c in MeterCategory}


def test_schema_id_pattern_is_the_domain_id_pattern():
    pattern = SCHEMA["$defs"]["id"]["pattern"]
    assert pattern == f"^{ID_PATTERN.pattern}$"
    assert re.fullmatch(ID_PATTERN, "site-0001-corridor_lighting-1")


def test_schema_version_is_the_wire_version():
    assert SCHEMA["$defs"]["version"]["const"] == wire.WIRE_VERSION


@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return lambda name: jsonschema.Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{name}"})


def test_encoded_payloads_validate_against_their_schemas(validator):
    p = build_portfolio(4, seed=2)
    _, readings = next(iter(generate(p, JUNE_1, JUNE_1 + DAY)))
    site = p.sites[0]
    site_readings = [r for r in readings if r.site_id == site.site_id]
    validator("meta").validate(json.loads(wire.encode_meta(site, p.meters[site.site_id])))
    validator("batch").validate(json.loads(wire.encode_batch(site.site_id, site_readings)))
    for r in site_readings:
        validator("reading").validate(json.loads(wire.encode_reading(r)))


@pytest.mark.parametrize(
    "payload",
    [
        {"v": 2, "ts": 1780276500, "register": 1.0},
        {"v": 1, "ts": 1780276500},
        {"v": 1, "ts": True, "register": 1.0},
        {"v": 1, "ts": 1780276500, "register": "1.0"},
    ],
    ids=["wrong-version", "no-register", "boolean-ts", "string-register"],
)
def test_payloads_the_decoder_rejects_do_not_validate(validator, payload):
    topic = "kilowatch/v1/site-0001/site-0001-pv-1/reading"
    assert wire.decode(topic, json.dumps(payload).encode()).rejections
    assert not validator("reading").is_valid(payload)


def strict_json(payload: bytes):
    """JSON as the standard defines it: NaN and Infinity are not numbers there."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(payload, parse_constant=refuse)


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "per-meter"])
def test_every_payload_the_simulator_publishes_validates(validator, batch):
    from simulators.encoding import StepEncoder

    p = build_portfolio(4, seed=2)
    gen = generate(p, JUNE_1, JUNE_1 + DAY, waste=[], seed=2)
    encoder = StepEncoder(gen, batch, wire.DEFAULT_PREFIX)
    check = validator("batch" if batch else "reading")
    for _ in range(3):
        for message in encoder.encode(gen.next_step()):
            check.validate(strict_json(message.payload))
    for site in p.sites:
        meta = strict_json(wire.encode_meta(site, p.meters[site.site_id]))
        validator("meta").validate(meta)
        assert all("register_max" in m for m in meta["meters"])


@pytest.mark.parametrize("kind", ["malformed_json", "nan", "wrong_type"])
def test_bad_payloads_of_a_malformed_kind_are_not_valid_json_or_fail_the_schema(validator, kind):
    from simulators.delivery import bad_payload
    from simulators.encoding import Message

    template = Message(
        "t", b'{"v": 1, "ts": "2026-06-01T01:15:00Z", "register": 1.5}', "site-0001", "site-0001-pv-1", JUNE_1, 1.5, 1
    )
    _, payload = bad_payload(kind, template, batch=False, prefix=wire.DEFAULT_PREFIX, serial=1)
    try:
        body = strict_json(payload)
    except ValueError:
        return
    assert not validator("reading").is_valid(body)


def test_weather_payloads_validate_and_impossible_temperatures_do_not(validator):
    from core.wire_weather import encode_weather

    check = validator("weather")
    check.validate(strict_json(encode_weather([(JUNE_1, 21.5), (JUNE_1 + 3600, -3.25)])))
    check.validate({"v": 1, "ts": "2026-06-01T01:00:00Z", "temp_c": 27.4})
    topic = "kilowatch/v1/site-0001/weather"
    for bad in ({"v": 1, "ts": JUNE_1, "temp_c": -300}, {"v": 1, "ts": JUNE_1, "temp_c": 71}, {"v": 1, "ts": JUNE_1}):
        assert not check.is_valid(bad)
        assert wire.decode(topic, json.dumps(bad).encode()).rejections
