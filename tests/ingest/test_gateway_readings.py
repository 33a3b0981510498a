"""What real gateways send, over a real Mosquitto: milliseconds, named units, Tasmota payloads."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.wire import batch_topic, reading_topic
from kilowatch.gateways.tasmota import bridge
from tests.ingest.conftest import METERS, NOW, SITE, wait_dead_letters, wait_stored

LOBBY, PUMP = METERS[0].meter_id, METERS[1].meter_id
T0 = NOW - 3600


def _publish(publisher, meter: str, body: dict) -> None:
    publisher.raw(reading_topic(SITE.site_id, meter, publisher.prefix), json.dumps({"v": 1, **body}).encode())


def test_a_millisecond_timestamp_and_a_wh_register_are_stored_as_the_second_and_kwh(worker, publisher, store):
    _publish(publisher, LOBBY, {"ts": T0 * 1000, "register": 1_000_000, "unit": "Wh"})
    _publish(
        publisher, LOBBY, {"ts": (T0 + 900) * 1000 + 250, "register": 1_001_500, "unit": "Wh", "power": 6000, "power_unit": "W"}
    )

    points = wait_stored(store, LOBBY, 2)
    assert [p.ts for p in points] == [T0, T0 + 900]
    assert [p.register for p in points] == pytest.approx([1000.0, 1001.5])
    assert points[1].energy == pytest.approx(1.5)


def test_a_reading_in_an_unknown_unit_is_dead_lettered_as_bad_unit_and_the_batch_goes_on(worker, publisher, store, sessions):
    body = {
        "v": 1,
        "readings": [
            {"meter": LOBBY, "ts": T0, "register": 3.0, "unit": "MWh"},
            {"meter": PUMP, "ts": T0, "register": 12.0, "unit": "kcal"},
        ],
    }
    publisher.raw(batch_topic(SITE.site_id, publisher.prefix), json.dumps(body).encode())

    [point] = wait_stored(store, LOBBY, 1)
    assert point.register == pytest.approx(3000.0)
    [row] = wait_dead_letters(sessions, 1)
    assert row.kind == "bad_unit" and "kcal" in row.reason
    assert json.loads(row.payload)["meter"] == PUMP
    assert worker.stats.rejected == {"bad_unit": 1}


def test_a_tasmota_sensor_message_bridged_to_wire_v1_is_stored(worker, publisher, store):
    shanghai = ZoneInfo("Asia/Shanghai")

    def sensor(ts: int, total: float, power_w: float) -> bytes:
        local = datetime.fromtimestamp(ts, shanghai).replace(tzinfo=None).isoformat()
        return json.dumps(
            {
                "Time": local,
                "ENERGY": {
                    "TotalStartTime": "2025-11-02T10:04:11",
                    "Total": total,
                    "Yesterday": 3.1,
                    "Today": 1.2,
                    "Period": 12,
                    "Power": power_w,
                    "ApparentPower": power_w * 1.02,
                    "ReactivePower": 90,
                    "Factor": 0.98,
                    "Voltage": 230,
                    "Current": power_w / 230,
                },
            }
        ).encode()

    devices = {"tasmota_lobby": (SITE.site_id, LOBBY)}
    for ts, total, power in [(T0, 812.345, 400), (T0 + 300, 812.389, 530)]:
        topic, payload = bridge("tele/tasmota_lobby/SENSOR", sensor(ts, total, power), devices, prefix=publisher.prefix)
        publisher.raw(topic, payload)

    points = wait_stored(store, LOBBY, 2)
    assert [p.ts for p in points] == [T0, T0 + 300]
    assert [p.register for p in points] == pytest.approx([812.345, 812.389])
    assert points[1].energy == pytest.approx(0.044)


def test_the_tasmota_bridge_republishes_a_device_message_that_ingest_then_stores(worker, publisher, store, mosquitto):
    from kilowatch.gateways.tasmota import start_bridge
    from tests.support import wait_for

    bridge_client = start_bridge(mosquitto.host, mosquitto.port, {"tasmota_pump": (SITE.site_id, PUMP)}, prefix=publisher.prefix)
    try:
        wait_for(bridge_client.is_connected, what="bridge connected")
        local = datetime.fromtimestamp(T0, ZoneInfo("Asia/Shanghai")).replace(tzinfo=None).isoformat()

        def sensor_message() -> bool:
            publisher.raw(
                "tele/tasmota_pump/SENSOR", json.dumps({"Time": local, "ENERGY": {"Total": 77.5, "Power": 900}}).encode()
            )
            return bool(store.points(start=0, end=2**31, meter_id=PUMP))

        # Until the bridge's subscription is in place a message is missed, so resend until one lands.
        wait_for(sensor_message, interval=0.2, what="bridged reading stored")
        [point] = wait_stored(store, PUMP, 1)
        assert (point.ts, point.register) == (T0, 77.5)
    finally:
        bridge_client.disconnect()
        bridge_client.loop_stop()
