"""run_simulation against a real Mosquitto: every reading arrives, meta is retained."""

from __future__ import annotations

import threading
import time

import paho.mqtt.client as mqtt
import pytest

from core import wire
from core.settings import MqttSettings
from simulators import build_portfolio, generate, run_simulation
from tests.simulators.common import DAY, JUNE_1
from tests.support import wait_for

pytestmark = pytest.mark.services


class Recorder:
    """A paho subscriber that keeps every message under a topic filter."""

    def __init__(self, host: str, port: int, topic_filter: str) -> None:
        self.messages: list[mqtt.MQTTMessage] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic_filter, qos=1)
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.loop_start()
        wait_for(self._subscribed.is_set, timeout=10, what=f"subscription to {topic_filter}")

    def _on_message(self, client, userdata, msg) -> None:
        with self._lock:
            self.messages.append(msg)

    def snapshot(self) -> list[mqtt.MQTTMessage]:
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def settings(mosquitto, topic_prefix) -> MqttSettings:
    return MqttSettings(host=mosquitto.host, port=mosquitto.port, topic_prefix=topic_prefix)


@pytest.fixture
def recorder(mosquitto, topic_prefix):
    rec = Recorder(mosquitto.host, mosquitto.port, f"{topic_prefix}/#")
    yield rec
    rec.close()


PORTFOLIO = build_portfolio(3, seed=5)


def decoded_readings(messages, prefix):
    out = []
    for msg in messages:
        if not msg.topic.endswith("/meta"):
            decoded = wire.decode(msg.topic, msg.payload, prefix)
            assert not decoded.rejections
            out.extend(decoded.readings)
    return out


def expected_readings():
    return [r for _, rs in generate(PORTFOLIO, JUNE_1, JUNE_1 + DAY, seed=3) for r in rs]


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "per-meter"])
def test_every_published_reading_is_received_with_its_values(settings, recorder, topic_prefix, batch):
    result = run_simulation(settings, PORTFOLIO, JUNE_1, 1, waste=[], seed=3, batch=batch, progress=False)
    expected = expected_readings()
    assert result.readings_published == len(expected)
    messages = wait_for(
        lambda: (m := recorder.snapshot()) and len(m) >= result.messages_published and m,
        timeout=30,
        what="all messages at the subscriber",
    )
    assert len(messages) == result.messages_published
    assert sorted(decoded_readings(messages, topic_prefix), key=lambda r: (r.ts, r.meter_id)) == sorted(
        expected, key=lambda r: (r.ts, r.meter_id)
    )


def test_batch_mode_sends_one_message_per_site_and_step(settings, recorder):
    result = run_simulation(settings, PORTFOLIO, JUNE_1, 1, waste=[], seed=3, progress=False)
    assert result.messages_published == len(PORTFOLIO.sites) * (1 + DAY // 900)


def test_meta_announcements_are_retained_for_late_subscribers(settings, mosquitto, topic_prefix):
    run_simulation(settings, PORTFOLIO, JUNE_1, 0.25, waste=[], seed=3, progress=False)
    late = Recorder(mosquitto.host, mosquitto.port, f"{topic_prefix}/+/meta")
    try:
        metas = wait_for(lambda: len(m := late.snapshot()) == len(PORTFOLIO.sites) and m, what="retained meta")
    finally:
        late.close()
    assert all(m.retain for m in metas)
    announced = dict(wire.decode(m.topic, m.payload, topic_prefix).meta for m in metas)
    assert announced == {s: PORTFOLIO.meters[s.site_id] for s in PORTFOLIO.sites}


def test_planned_waste_is_reported_with_the_kwh_injected(settings, tmp_path):
    result = run_simulation(
        settings, PORTFOLIO, JUNE_1, 7, waste=None, seed=3, progress=False, ground_truth_path=tmp_path / "truth"
    )
    assert result.events
    assert all(kwh > 0 for _, kwh in result.events)
    assert (tmp_path / "truth.csv").exists() and (tmp_path / "truth.json").exists()


def test_a_set_stop_event_ends_a_paced_run_early(settings):
    stop = threading.Event()
    stop.set()
    result = run_simulation(settings, PORTFOLIO, JUNE_1, 1, waste=[], speed=1440, stop=stop, progress=False)
    assert result.stopped_early
    assert result.readings_published == 0


def test_paced_run_stops_soon_after_stop_is_set(settings):
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)
    timer.start()
    # 900 simulated seconds per 0.1 s: a day would take about 10 s.
    result = run_simulation(settings, PORTFOLIO, JUNE_1, 1, waste=[], speed=9000, stop=stop, progress=False)
    timer.cancel()
    assert result.stopped_early
    assert 0 < result.readings_published < len(expected_readings())


def test_unreachable_broker_raises_a_connection_error(topic_prefix):
    from tests.support import free_port

    settings = MqttSettings(host="127.0.0.1", port=free_port(), topic_prefix=topic_prefix)
    with pytest.raises(ConnectionError):
        run_simulation(settings, PORTFOLIO, JUNE_1, 1, waste=[], progress=False)


def test_no_reading_is_lost_when_the_broker_restarts_mid_run(tmp_path, topic_prefix):
    from tests.fixtures.mqtt import MosquittoServer
    from tests.support import require_binary

    server = MosquittoServer(binary=require_binary("mosquitto", "/usr/sbin/mosquitto", package="mosquitto"), workdir=tmp_path)
    server.start()
    # A persistent subscriber session, so the broker keeps its messages across the restart.
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"sub-{topic_prefix[7:15]}", clean_session=False)
    sub.reconnect_delay_set(0.05, 0.2)
    seen: set[tuple[str, int]] = set()
    subscribed = threading.Event()
    sub.on_connect = lambda c, u, f, rc, p: c.subscribe(f"{topic_prefix}/#", qos=1)
    sub.on_subscribe = lambda c, u, mid, rcs, p: subscribed.set()
    sub.on_message = lambda c, u, m: seen.update(
        (r.meter_id, r.ts) for r in wire.decode(m.topic, m.payload, topic_prefix).readings
    )
    sub.connect(server.host, server.port)
    sub.loop_start()
    results = []
    try:
        wait_for(subscribed.is_set, what="subscription")
        settings = MqttSettings(host=server.host, port=server.port, topic_prefix=topic_prefix)
        runner = threading.Thread(
            target=lambda: results.append(
                run_simulation(settings, PORTFOLIO, JUNE_1, 1, waste=[], seed=3, speed=900 * 40, progress=False)
            )
        )
        runner.start()
        wait_for(lambda: len(seen) > 100, what="the first readings")
        server.restart()
        runner.join(timeout=60)
        assert results, "run_simulation did not finish"
        wait_for(lambda: len(seen) == results[0].readings_published, timeout=30, what="every reading after the restart")
    finally:
        sub.disconnect()
        sub.loop_stop()
        server.stop()


def test_steps_before_live_from_are_backfilled_and_pacing_starts_there(settings):
    stop = threading.Event()
    timer = threading.Timer(1.0, stop.set)
    timer.start()
    live_from = JUNE_1 + 18 * 3600
    # Paced alone, a day at 9000x takes about 10 s; the first 18 hours must not wait.
    result = run_simulation(settings, PORTFOLIO, JUNE_1, 1, waste=[], speed=9000, stop=stop, progress=False, live_from=live_from)
    timer.cancel()
    per_step = len(expected_readings()) // (1 + DAY // 900)
    assert result.stopped_early
    assert result.readings_published >= per_step * (18 * 3600 // 900)
    assert result.readings_published < len(expected_readings())


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "per-meter"])
def test_with_delivery_faults_every_good_message_arrives_and_the_counts_reconcile(settings, recorder, topic_prefix, batch):
    from simulators import DeliveryConfig

    config = DeliveryConfig(duplicate_rate=0.05, late_rate=0.05, bad_payload_rate=0.05)
    result = run_simulation(settings, PORTFOLIO, JUNE_1, 0.5, waste=[], seed=3, batch=batch, progress=False, delivery=config)
    messages = wait_for(
        lambda: (m := recorder.snapshot()) and len(m) >= result.messages_published and m,
        timeout=30,
        what="all messages at the subscriber",
    )
    known = {m.meter_id for m in PORTFOLIO.all_meters()}
    good_messages, bad_messages, good = 0, 0, set()
    for msg in messages:
        if msg.topic.endswith("/meta"):
            continue
        decoded = wire.decode(msg.topic, msg.payload, topic_prefix)
        readings = decoded.readings
        if decoded.rejections or any(r.meter_id not in known or r.ts >= JUNE_1 + DAY for r in readings):
            bad_messages += 1
        else:
            good_messages += 1
            good.update((r.meter_id, r.ts, r.register) for r in readings)
    expected = {(r.meter_id, r.ts, r.register) for _, rs in generate(PORTFOLIO, JUNE_1, JUNE_1 + DAY // 2, seed=3) for r in rs}
    counts = result.delivery
    assert good == expected
    assert good_messages == counts.messages + counts.duplicates
    assert bad_messages == sum(counts.bad.values()) > 0
    assert counts.duplicates > 0 and counts.late > 0


def test_readings_ahead_of_what_ingest_accepts_are_counted_as_sent(settings):
    # Steps fall half-way between whole quarter hours of the limit, so the count cannot
    # flip while the run takes a second.
    t0 = int(time.time())
    start = t0 - DAY // 2 + 450
    result = run_simulation(settings, PORTFOLIO, start, 1, waste=[], seed=3, progress=False, accepted_window_s=(400 * DAY, 3600))
    stamped = [r.ts for _, rs in generate(PORTFOLIO, start, start + DAY, seed=3) for r in rs]
    assert result.readings_ahead == sum(ts > t0 + 3600 for ts in stamped) > 0
    assert result.readings_too_old == 0
    assert result.acknowledged == result.messages_published


def test_with_declare_hours_each_retained_announcement_declares_the_sites_hours(settings, mosquitto, topic_prefix):
    from simulators.declared import announced_site

    run_simulation(settings, PORTFOLIO, JUNE_1, 0.25, waste=[], seed=3, progress=False, declare_hours=True)
    late = Recorder(mosquitto.host, mosquitto.port, f"{topic_prefix}/+/meta")
    try:
        metas = wait_for(lambda: len(m := late.snapshot()) == len(PORTFOLIO.sites) and m, what="retained meta")
    finally:
        late.close()
    announced = [wire.decode(m.topic, m.payload, topic_prefix).meta[0] for m in metas]
    assert {s.site_id: s.opening_hours for s in announced} == {
        s.site_id: announced_site(s).opening_hours for s in PORTFOLIO.sites
    }
    assert all(s.opening_hours is not None for s in announced)


def test_with_weather_each_gateway_publishes_every_hours_temperature_once_the_hour_is_over(settings, recorder, topic_prefix):
    from simulators.generator import generate as make
    from simulators.weather import hourly_temperatures

    result = run_simulation(settings, PORTFOLIO, JUNE_1, 0.25, waste=[], seed=3, progress=False, weather=True)
    messages = wait_for(
        lambda: (m := recorder.snapshot()) and len(m) >= result.messages_published and m,
        timeout=30,
        what="all messages at the subscriber",
    )
    weather = [wire.decode(m.topic, m.payload, topic_prefix) for m in messages if m.topic.endswith("/weather")]
    got = sorted((p.site_id, p.ts, p.temp_c) for d in weather for p in d.weather)
    gen = make(PORTFOLIO, JUNE_1, JUNE_1 + DAY // 4, seed=3)
    ids = [s.site_id for s in PORTFOLIO.sites]
    # Six hours published: the five that ended before the last step (the sixth ends with the run).
    want = sorted(
        (sid, hour, round(float(t), 2))
        for hour, temps in hourly_temperatures(gen.sites, JUNE_1, JUNE_1 + 5 * 3600)
        for sid, t in zip(ids, temps, strict=True)
    )
    assert not any(d.rejections for d in weather)
    assert got == want
