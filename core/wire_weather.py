"""The weather topic of the wire contract: a site's measured outdoor temperature.

Topic ``{prefix}/{site_id}/weather``; payload one sample or a batch::

    {"v": 1, "ts": "2026-03-02T08:00:00Z", "temp_c": 11.4}
    {"v": 1, "readings": [{"ts": ..., "temp_c": ...}, ...]}

Timestamps as in readings (``core.wire.parse_ts``). A sample whose ``temp_c`` is not a
finite number in ``core.weather``'s range is refused alone (dead letter ``bad_temperature``);
the rest of its batch is kept. See ``docs/wire-format.md``.
"""

from __future__ import annotations

import json

from core.weather import BAD_TEMPERATURE, InvalidTemperature, TemperaturePoint, check_temperature
from core.wire import WIRE_VERSION, Decoded, Rejection, format_ts, parse_ts

#: Samples in one weather batch: a year of hours is 8,760; more is a gateway replaying too much at once.
MAX_WEATHER_ITEMS = 10_000


def weather_topic(site_id: str, prefix: str) -> str:
    return f"{prefix}/{site_id}/weather"


def encode_weather(samples: list[tuple[int, float]]) -> bytes:
    """A batch of ``(ts, temp_c)`` samples as the weather payload."""
    items = [{"ts": format_ts(ts), "temp_c": round(float(t), 2)} for ts, t in samples]
    return json.dumps({"v": WIRE_VERSION, "readings": items}).encode()


def _sample(site_id: str, item: object) -> TemperaturePoint:
    if not isinstance(item, dict):
        raise ValueError("weather sample is not a JSON object")
    try:
        ts = parse_ts(item.get("ts"))
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"bad 'ts': {exc}") from None
    if "temp_c" not in item:
        raise ValueError("missing 'temp_c'")
    return TemperaturePoint(site_id, ts, check_temperature(item["temp_c"]))


def decode_weather(topic: str, site_id: str, body: dict, payload: bytes) -> Decoded:
    """Samples of a weather message (``body`` is its parsed JSON object); never raises on bad input."""
    items = body.get("readings") if "readings" in body else [body]
    if not isinstance(items, list):
        return Decoded([], [Rejection(topic, "weather batch has no 'readings' list", payload[:2048])])
    if len(items) > MAX_WEATHER_ITEMS:
        return Decoded(
            [], [Rejection(topic, f"weather batch of {len(items)} samples exceeds {MAX_WEATHER_ITEMS}", payload[:256])]
        )
    points: list[TemperaturePoint] = []
    rejections: list[Rejection] = []
    for item in items:
        try:
            points.append(_sample(site_id, item))
        except InvalidTemperature as exc:
            rejections.append(Rejection(topic, str(exc), json.dumps(item).encode()[:2048], BAD_TEMPERATURE))
        except ValueError as exc:
            rejections.append(Rejection(topic, str(exc), json.dumps(item).encode()[:2048]))
    return Decoded([], rejections, weather=tuple(points))
