"""Tasmota SENSOR payloads become wire v1 readings that core.wire decodes to the same kWh and kW."""

from __future__ import annotations

import json

import pytest

from core.wire import decode, reading_topic
from kilowatch.gateways.tasmota import NotAnEnergyReading, bridge, sensor_reading

#: A SENSOR message as a Tasmota 13 energy meter publishes it (Timezone +8, TelePeriod 300).
SENSOR = {
    "Time": "2026-06-01T09:15:00",
    "ENERGY": {
        "TotalStartTime": "2025-11-02T10:04:11",
        "Total": 48213.57,
        "Yesterday": 61.2,
        "Today": 20.4,
        "Period": 1710,
        "Power": 6840,
        "ApparentPower": 7025,
        "ReactivePower": 1602,
        "Factor": 0.97,
        "Voltage": 229,
        "Current": 29.871,
    },
}
METERS = {"tasmota_5F1A2B": ("site-0001", "site-0001-corridor_lighting-1")}


def test_a_tasmota_energy_payload_decodes_to_kwh_and_kw_at_the_utc_second():
    body = sensor_reading(SENSOR, tz="Asia/Shanghai")
    [reading] = decode(reading_topic("site-0001", "m1"), json.dumps(body).encode()).readings
    assert reading.ts == 1780276500  # 09:15 in Shanghai is 01:15 UTC
    assert reading.register == pytest.approx(48213.57)
    assert reading.power_kw == pytest.approx(6.84)


def test_a_time_with_an_offset_is_taken_as_given():
    sensor = SENSOR | {"Time": "2026-06-01T03:15:00+02:00"}
    assert sensor_reading(sensor, tz="Asia/Shanghai")["ts"] == "2026-06-01T01:15:00Z"


def test_a_multi_channel_device_sums_its_channels():
    sensor = SENSOR | {"ENERGY": {"Total": [10.5, 2.25], "Power": [100, 50]}}
    body = sensor_reading(sensor)
    assert (body["register"], body["power"]) == (12.75, 150.0)


def test_the_bridge_maps_a_device_topic_to_its_meter_topic():
    topic, payload = bridge("tele/tasmota_5F1A2B/SENSOR", json.dumps(SENSOR).encode(), METERS)
    assert topic == "kilowatch/v1/site-0001/site-0001-corridor_lighting-1/reading"
    assert json.loads(payload)["register"] == 48213.57


@pytest.mark.parametrize("topic", ["tele/unknown_plug/SENSOR", "tele/tasmota_5F1A2B/STATE", "stat/tasmota_5F1A2B/SENSOR"])
def test_the_bridge_ignores_topics_that_are_not_a_mapped_sensor(topic):
    assert bridge(topic, json.dumps(SENSOR).encode(), METERS) is None


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b"[1]",
        b'{"Time": "2026-06-01T09:15:00", "AM2301": {"Temperature": 24.1}}',
        b'{"Time": "2026-06-01T09:15:00", "ENERGY": {"Total": "lots"}}',
        b'{"ENERGY": {"Total": 1.0}}',
    ],
)
def test_a_mapped_device_payload_without_a_reading_is_refused_with_a_reason(payload):
    with pytest.raises(NotAnEnergyReading):
        bridge("tele/tasmota_5F1A2B/SENSOR", payload, METERS)
