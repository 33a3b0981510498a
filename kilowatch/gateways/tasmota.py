"""Tasmota ``tele/<device>/SENSOR`` energy payloads as wire-format v1 readings.

A Tasmota plug or DIN-rail meter (and Tasmota reading a DL/T 645 or Modbus meter over its
serial port) publishes every ``TelePeriod`` seconds::

    {"Time": "2026-06-01T09:15:00",
     "ENERGY": {"TotalStartTime": "2025-11-02T10:04:11", "Total": 48213.57, "Yesterday": 61.2,
                "Today": 20.4, "Period": 1710, "Power": 6840, "ApparentPower": 7025,
                "ReactivePower": 1602, "Factor": 0.97, "Voltage": 229, "Current": 29.871}}

``Total`` is the lifetime register in kWh and ``Power`` the present power in W; a
multi-channel device sends lists (one per channel), which are summed. ``Time`` is the
device's *local* time without a zone (unless ``SetOption52 1`` adds the offset), so the
device's zone must be given: wire format v1 refuses zone-less times.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from core.timebase import HOME_TIMEZONE
from core.wire import DEFAULT_PREFIX, WIRE_VERSION, format_ts, reading_topic

__all__ = ["NotAnEnergyReading", "sensor_reading", "bridge"]

#: Tasmota's own default; set it to the device's ``Timezone`` when that differs.
DEFAULT_TZ = HOME_TIMEZONE


class NotAnEnergyReading(ValueError):
    """A SENSOR payload with no usable ENERGY total (a temperature sensor, a broken message)."""


def _total(value: object, name: str) -> float:
    values = value if isinstance(value, list) else [value]
    if not values or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) for v in values):
        raise NotAnEnergyReading(f"ENERGY.{name} is not a finite number or list of numbers: {value!r:.80}")
    return float(sum(values))


def _epoch(time: object, tz: str) -> int:
    if not isinstance(time, str):
        raise NotAnEnergyReading("payload has no 'Time'")
    try:
        stamp = datetime.fromisoformat(time)
    except ValueError:
        raise NotAnEnergyReading(f"'Time' {time[:40]!r} is not ISO 8601") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=ZoneInfo(tz))
    return int(stamp.timestamp())


def sensor_reading(sensor: Mapping, tz: str = DEFAULT_TZ) -> dict:
    """The wire v1 reading body of one Tasmota SENSOR payload; NotAnEnergyReading when it has none."""
    energy = sensor.get("ENERGY")
    if not isinstance(energy, Mapping) or "Total" not in energy:
        raise NotAnEnergyReading("payload has no ENERGY.Total")
    body = {
        "v": WIRE_VERSION,
        "ts": format_ts(_epoch(sensor.get("Time"), tz)),
        "register": round(_total(energy["Total"], "Total"), 3),
        "unit": "kWh",
    }
    if energy.get("Power") is not None:
        body |= {"power": _total(energy["Power"], "Power"), "power_unit": "W"}
    return body


def bridge(
    device_topic: str,
    payload: bytes,
    meters: Mapping[str, tuple[str, str]],
    tz: str = DEFAULT_TZ,
    prefix: str = DEFAULT_PREFIX,
) -> tuple[str, bytes] | None:
    """The wire topic and payload for one message on ``tele/<device>/SENSOR``.

    ``meters`` maps a Tasmota device topic name to its ``(site_id, meter_id)``. None for a
    message that is not ours (another topic, an unmapped device); NotAnEnergyReading for a
    mapped device's payload that carries no reading, for the caller to log and count.
    """
    parts = device_topic.split("/")
    if len(parts) != 3 or parts[0] != "tele" or parts[2] != "SENSOR" or parts[1] not in meters:
        return None
    try:
        sensor = json.loads(payload)
    except ValueError as exc:
        raise NotAnEnergyReading(f"payload is not JSON: {exc}") from None
    if not isinstance(sensor, Mapping):
        raise NotAnEnergyReading("payload is not a JSON object")
    body = sensor_reading(sensor, tz)
    site_id, meter_id = meters[parts[1]]
    return reading_topic(site_id, meter_id, prefix), json.dumps(body).encode()


def start_bridge(
    host: str,
    port: int,
    meters: Mapping[str, tuple[str, str]],
    *,
    tz: str = DEFAULT_TZ,
    prefix: str = DEFAULT_PREFIX,
    username: str | None = None,
    password: str | None = None,
):  # a paho client; paho stays an import of this function only
    """Subscribe to ``tele/+/SENSOR`` and republish each mapped device's energy as a wire v1 reading.

    Returns the connected client, its network loop running; ``loop_stop()`` and
    ``disconnect()`` stop it. Payloads without a reading are logged (truncated) and skipped:
    the callback never raises, so one bad device never stops the others.
    """
    import logging

    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    log = logging.getLogger(__name__)
    # A unique id: two bridges with one id would disconnect each other in turn.
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"tasmota-bridge-{uuid.uuid4().hex[:12]}")
    if username:
        client.username_pw_set(username, password)

    def on_connect(client, userdata, flags, reason_code, properties):  # paho's signature
        client.subscribe("tele/+/SENSOR", qos=1)

    def on_message(client, userdata, message):  # paho's signature
        try:
            out = bridge(message.topic, message.payload, meters, tz, prefix)
        except NotAnEnergyReading as exc:
            log.warning("tasmota bridge: %s skipped: %s (%r)", message.topic[:100], exc, message.payload[:120])
            return
        if out is not None:
            client.publish(*out, qos=1)

    client.on_connect, client.on_message = on_connect, on_message
    client.connect(host, port)
    client.loop_start()
    return client
