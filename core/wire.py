"""The MQTT wire contract, version 1: topics and JSON payloads.

Topics (``prefix`` defaults to ``kilowatch/v1``)::

    {prefix}/{site_id}/meta                  retained site + meter announcement
    {prefix}/{site_id}/{meter_id}/reading    one reading
    {prefix}/{site_id}/batch                 a gateway batch of readings
    {prefix}/{site_id}/weather               measured outdoor temperature (core.wire_weather)

Payloads are JSON objects with ``"v": 1``. Timestamps are ISO 8601 in UTC
(``2026-03-02T08:15:00Z``) or epoch seconds or milliseconds (told apart by magnitude,
``MILLISECONDS_FROM``). A reading may name its ``unit`` (Wh, kWh, MWh) and ``power_unit``
(W, kW); decoding converts to kWh and kW. See ``docs/wire-format.md``.
Decoding never raises on bad input: it returns readings and rejections.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, NamedTuple, overload

from core import site_rules
from core.domain import Meter, Reading, Site, new_record, valid_id, valid_id_text
from core.timebase import HOME_TIMEZONE

DEFAULT_PREFIX = "kilowatch/v1"
WIRE_VERSION = 1
#: Larger payloads are rejected unread; a gateway batch of 200 meters is ~20 kB.
MAX_PAYLOAD_BYTES = 256 * 1024
#: A numeric ``ts`` at or above this is epoch milliseconds (ThingsBoard and many gateways),
#: below it epoch seconds. As seconds it is the year 5138, as milliseconds 3 March 1973:
#: no real reading is on the wrong side of it in either unit, so the rule never guesses.
MILLISECONDS_FROM = 100_000_000_000
#: Register units a reading may name, as factors to kWh (the internal unit; ``m3`` is the gas
#: meters' own unit, passed through). Spellings are exact: ``mWh`` (milli) is not ``MWh``.
REGISTER_UNITS = {"Wh": 0.001, "kWh": 1.0, "MWh": 1000.0, "m3": 1.0}
#: Power units a reading may name, as factors to kW (the internal unit).
POWER_UNITS = {"W": 0.001, "kW": 1.0}
#: Dead-letter kind of a reading whose ``unit`` or ``power_unit`` is not one of the above.
BAD_UNIT = "bad_unit"


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message or part of one that could not be accepted, and why."""

    topic: str
    reason: str
    payload: bytes
    #: The dead-letter kind when the decoder knows it (a meta field: ``bad_meta_tz``);
    #: None lets ingest derive it from ``reason``.
    kind: str | None = None


def reading_topic(site_id: str, meter_id: str, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}/{site_id}/{meter_id}/reading"


def batch_topic(site_id: str, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}/{site_id}/batch"


def meta_topic(site_id: str, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}/{site_id}/meta"


def subscriptions(prefix: str = DEFAULT_PREFIX) -> list[str]:
    """Topic filters an ingest worker subscribes to."""
    return [f"{prefix}/+/meta", f"{prefix}/+/+/reading", f"{prefix}/+/batch", f"{prefix}/+/weather"]


def format_ts(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=4096)
def _parse_iso(value: str) -> int:
    """Epoch seconds of an ISO 8601 timestamp with a zone; cached, since a gateway batch
    stamps all its readings alike and consecutive batches repeat the same minutes."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError("timestamp has no time zone")
    return int(dt.timestamp())


def parse_ts(value: object) -> int:
    """Epoch seconds from an ISO 8601 string or a number of seconds or milliseconds; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("timestamp must be a string or a number")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError("timestamp is not finite")
        if abs(value) >= MILLISECONDS_FROM:
            return int(value / 1000)  # exact: epoch milliseconds fit a float's 53 bits until year 287,000
        return int(value)
    if isinstance(value, str):
        return _parse_iso(value)
    raise ValueError("timestamp must be a string or a number")


def _reading_body(r: Reading) -> dict:
    body: dict = {"ts": format_ts(r.ts), "register": round(r.register, 3)}
    if r.power_kw is not None:
        body["power"] = round(r.power_kw, 3)
    return body


def encode_reading(r: Reading) -> bytes:
    return json.dumps({"v": WIRE_VERSION, **_reading_body(r)}).encode()


def encode_batch(site_id: str, readings: list[Reading]) -> bytes:
    items = [{"meter": r.meter_id, **_reading_body(r)} for r in readings]
    return json.dumps({"v": WIRE_VERSION, "site": site_id, "readings": items}).encode()


def encode_meta(site: Site, meters: list[Meter]) -> bytes:
    return json.dumps(
        {
            "v": WIRE_VERSION,
            "site": {
                "id": site.site_id,
                "name": site.name,
                "type": site.site_type.value,
                "city": site.city,
                "province": site.province,
                "lat": site.latitude,
                "lon": site.longitude,
                "tz": site.timezone,
            }
            | ({"opening_hours": site_rules.opening_hours_json(site.opening_hours)} if site.opening_hours is not None else {}),
            "meters": [
                {"id": m.meter_id, "category": m.category.value, "rated_kw": m.rated_kw, "name": m.name}
                | ({"register_max": m.register_max} if m.register_max is not None else {})
                for m in meters
            ],
        },
        ensure_ascii=False,
    ).encode()


class Decoded(NamedTuple):
    """The outcome of decoding one MQTT message (a named tuple: one per message)."""

    readings: list[Reading]
    rejections: list[Rejection]
    meta: tuple[Site, list[Meter]] | None = None
    #: The site whose meta topic received an empty message: the site is removed (retired).
    retire: str | None = None
    #: Measured outdoor temperatures (``core.weather.TemperaturePoint``) of a weather message.
    weather: tuple = ()


@overload
def _number(body: dict, key: str, required: Literal[True]) -> float: ...
@overload
def _number(body: dict, key: str, required: bool) -> float | None: ...
def _number(body: dict, key: str, required: bool) -> float | None:
    value = body.get(key)
    if value is None:
        if required:
            raise ValueError(f"missing '{key}'")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"'{key}' is not a number")
    try:
        number = float(value)
    except OverflowError:
        # JSON integers are unbounded: a 400-digit one is valid JSON but no float.
        raise ValueError(f"'{key}' is out of range ({len(str(value))} digits)") from None
    if not math.isfinite(number):
        raise ValueError(f"'{key}' is not finite")
    return number


class _UnitError(ValueError):
    """A reading naming a unit the decoder does not know; dead-lettered as ``BAD_UNIT``."""


def _factor(body: dict, key: str, units: dict[str, float], default: str) -> float:
    unit = body.get(key)
    if unit is None:
        unit = default
    if not isinstance(unit, str) or unit not in units:
        raise _UnitError(f"unknown {key} {str(unit)[:40]!r}: use one of {', '.join(units)}")
    return units[unit]


def _reading_from(site_id: str, meter_id: str, body: object) -> Reading:
    if not isinstance(body, dict):
        raise ValueError("reading is not a JSON object")
    if not valid_id(meter_id):
        raise ValueError(f"invalid meter id {meter_id[:80]!r}")
    try:
        ts = parse_ts(body.get("ts"))
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"bad 'ts': {exc}") from None
    register = _number(body, "register", required=True)
    power = _number(body, "power", required=False)
    # Most gateways name no unit: skip the lookups then (a fifth of a batch item's decode time).
    if "unit" in body:
        register *= _factor(body, "unit", REGISTER_UNITS, "kWh")
    if "power_unit" in body:
        # Checked without a power too: a gateway naming a unit we do not know is misconfigured.
        factor = _factor(body, "power_unit", POWER_UNITS, "kW")
        power = None if power is None else power * factor
    return Reading(site_id=site_id, meter_id=meter_id, ts=ts, register=register, power_kw=power)


class _MetaError(ValueError):
    """A meta announcement that breaks a rule; ``kind`` is its dead-letter kind."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _field(where: str, rule, value: object):  # a core.site_rules check
    try:
        return rule(value)
    except site_rules.InvalidField as exc:
        raise _MetaError(f"bad_meta_{exc.field}", f"{where}.{exc.field} {exc.message}") from None


def _optional_text(body: dict, key: str, default: str) -> object:
    value = body.get(key)
    return default if value is None else value


def _decode_meta(site_id: str, body: dict) -> tuple[Site, list[Meter]]:
    """The site and meters of an announcement, checked by ``core.site_rules`` (as the API checks them)."""
    s, items = body.get("site"), body.get("meters")
    if not isinstance(s, dict):
        raise _MetaError("bad_meta", "'site' is not a JSON object")
    if s.get("id") != site_id:
        raise _MetaError("bad_meta_site_id", "site.id does not match the site in the topic")
    if not isinstance(items, list):
        raise _MetaError("bad_meta", "'meters' is not a list")
    site = _meta_site(site_id, s)
    seen: set[str] = set()
    return site, [_meta_meter(site_id, f"meters[{i}]", m, seen) for i, m in enumerate(items)]


def _meta_site(site_id: str, s: dict) -> Site:
    """The announced site (``site`` of the announcement), its place located from its coordinates or province."""
    if "province" not in s:
        raise _MetaError("bad_meta_province", "site.province is missing")
    if "type" not in s:
        raise _MetaError("bad_meta_type", "site.type is missing")
    province = _field("site", site_rules.check_province, s["province"])
    lat, lon = s.get("lat"), s.get("lon")
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise _MetaError(f"bad_meta_{missing}", f"site.{missing} is missing while the other coordinate is given")
    if lat is not None:
        lat, lon = _field("site", site_rules.check_latitude, lat), _field("site", site_rules.check_longitude, lon)
    latitude, longitude, source = site_rules.locate(province, lat, lon)
    return Site(
        site_id=site_id,
        name=_field("site", site_rules.check_site_name, _optional_text(s, "name", site_id)),
        site_type=_field("site", site_rules.check_site_type, s["type"]),
        city=_field("site", site_rules.check_city, _optional_text(s, "city", "")),
        province=province,
        latitude=latitude,
        longitude=longitude,
        timezone=_field("site", site_rules.check_timezone, _optional_text(s, "tz", HOME_TIMEZONE)),
        location_source=source,
        # Absent or null: none declared here, and the registry keeps what it holds.
        opening_hours=_field("site", site_rules.check_opening_hours, s.get("opening_hours")),
    )


def _meta_meter(site_id: str, where: str, m: object, seen: set[str]) -> Meter:
    """One announced meter (``where``: its place in the list); ``seen``: the meter ids before it, this one added."""
    if not isinstance(m, dict):
        raise _MetaError("bad_meta", f"{where} is not a JSON object")
    meter_id = m.get("id")
    if not valid_id(meter_id):
        raise _MetaError("bad_meta_meter_id", f"{where}.id {str(meter_id)[:80]!r} is not a valid meter id")
    if meter_id in seen:
        raise _MetaError("bad_meta_meter_id", f"{where}.id {meter_id!r} is listed twice")
    seen.add(meter_id)
    if "category" not in m:
        raise _MetaError("bad_meta_category", f"{where}.category is missing")
    return Meter(
        meter_id=meter_id,
        site_id=site_id,
        category=_field(where, site_rules.check_category, m["category"]),
        rated_kw=_field(where, site_rules.check_rated_kw, m["rated_kw"] if m.get("rated_kw") is not None else 0.0),
        name=_field(where, site_rules.check_name, _optional_text(m, "name", "")),
        register_max=_field(where, site_rules.check_register_max, m.get("register_max")),
    )


def _reject(topic: str, reason: str, part: bytes) -> Decoded:
    return Decoded([], [Rejection(topic, reason, part[:2048])])


def decode(topic: str, payload: bytes, prefix: str = DEFAULT_PREFIX) -> Decoded:
    """Decode one message; never raises on bad input."""
    opened = _open(topic, payload, prefix)
    if isinstance(opened, Decoded):
        return opened
    parts, body = opened
    return _decode_body(topic, parts, body, payload)


def _open(topic: str, payload: bytes, prefix: str) -> tuple[list[str], dict] | Decoded:
    """The topic's parts after the prefix and the JSON object of a versioned payload; or what becomes of the
    message without reading its body (a rejection, or a retired site)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return _reject(topic, f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}", payload[:256])
    if not topic.startswith(prefix + "/"):
        return _reject(topic, "topic outside the kilowatch prefix", payload)
    parts = topic[len(prefix) + 1 :].split("/")
    if not valid_id(parts[0]):
        return _reject(topic, f"invalid site id {parts[0][:80]!r} in topic", payload)
    if not payload and len(parts) == 2 and parts[1] == "meta":
        # An empty retained message is how MQTT deletes a retained one: the site is removed.
        return Decoded([], [], retire=parts[0])
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        # ValueError covers bad UTF-8, bad syntax and integers past Python's digit limit;
        # RecursionError, nesting deeper than the parser recurses.
        return _reject(topic, f"malformed JSON: {exc.msg if hasattr(exc, 'msg') else exc}", payload)
    if not isinstance(body, dict):
        return _reject(topic, "payload is not a JSON object", payload)
    version = body.get("v")
    # bool is an int in Python: "v": true must not pass for version 1.
    if isinstance(version, bool) or version != WIRE_VERSION:
        return _reject(topic, f"unsupported payload version {version!r}", payload)
    return parts, body


def _decode_body(topic: str, parts: list[str], body: dict, payload: bytes) -> Decoded:
    """A message by its topic's layout: a meta announcement, one reading, the weather or a batch."""
    if len(parts) == 2 and parts[1] == "meta":
        try:
            return Decoded([], [], meta=_decode_meta(parts[0], body))
        except _MetaError as exc:
            return Decoded([], [Rejection(topic, f"bad meta announcement: {exc}", payload[:2048], exc.kind)])
    if len(parts) == 3 and parts[2] == "reading":
        try:
            return Decoded([_reading_from(parts[0], parts[1], body)], [])
        except _UnitError as exc:
            return Decoded([], [Rejection(topic, str(exc), payload[:2048], BAD_UNIT)])
        except ValueError as exc:
            return _reject(topic, str(exc), payload)
    if len(parts) == 2 and parts[1] == "weather":
        from core.wire_weather import decode_weather  # here: core.wire_weather builds on this module

        return decode_weather(topic, parts[0], body, payload)
    if len(parts) == 2 and parts[1] == "batch":
        return _decode_batch(topic, parts[0], body, payload)
    return _reject(topic, "unknown topic layout", payload)


def _decode_batch(topic: str, site_id: str, body: dict, payload: bytes) -> Decoded:
    """A gateway batch: each item judged alone (a bad one is refused, the rest kept)."""
    if body.get("site", site_id) != site_id:
        return Decoded([], [Rejection(topic, "site in payload does not match topic", payload[:2048])])
    items = body.get("readings")
    if not isinstance(items, list):
        return Decoded([], [Rejection(topic, "batch has no 'readings' list", payload[:2048])])
    readings: list[Reading] = []
    rejections: list[Rejection] = []
    append = readings.append
    stamp, epoch = None, 0  # the last timestamp parsed: a batch's items usually share it
    for item in items:
        meter = item.get("meter") if isinstance(item, dict) else None
        # The common item inline (same rules as _reading_from, which explains a refusal):
        # a valid meter id, an ISO timestamp, a finite float register and no power.
        if type(meter) is str and len(item) == 3:
            ts, register = item.get("ts"), item.get("register")
            # register - register is 0.0 for a finite float only (NaN otherwise): math.isfinite without a call.
            if type(ts) is str and type(register) is float and register - register == 0.0 and valid_id_text(meter):
                try:
                    if ts != stamp:
                        epoch, stamp = _parse_iso(ts), ts
                    append(new_record(Reading, (site_id, meter, epoch, register, None)))
                    continue
                except ValueError:
                    pass  # _reading_from says why
        try:
            if not isinstance(meter, str) or not meter:
                raise ValueError("batch item has no 'meter'")
            readings.append(_reading_from(site_id, meter, item))
        except ValueError as exc:
            kind = BAD_UNIT if isinstance(exc, _UnitError) else None
            rejections.append(Rejection(topic, str(exc), json.dumps(item).encode()[:2048], kind))
    return Decoded(readings, rejections)
