"""Profiling run of the ingest hot path (not a test): drain a queued backlog through one worker.

    .venv/bin/python -m tests.ingest.profile_hot_path --mode batch --store embedded
    .venv/bin/python -m tests.ingest.profile_hot_path --mode meter --store influx --py-spy /tmp/ingest.txt

The backlog is published while the worker is away (its persistent session queues it in a
real Mosquitto), so the figure is what one worker drains, not what one Python publisher
can send: from the worker's start to the last reading stored and acknowledged.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from core.db.session import create_db_engine, migrate, session_factory
from core.domain import Meter, MeterCategory, Reading, Site, SiteType
from core.settings import IngestSettings, MqttSettings, StoreSettings
from core.store.embedded import EmbeddedStore
from core.store.influx_v1 import InfluxV1Store
from core.wire import batch_topic, encode_batch, encode_meta, encode_reading, meta_topic, reading_topic
from ingest import IngestWorker
from tests.fixtures.influx import InfluxServer
from tests.fixtures.mqtt import MosquittoServer
from tests.support import wait_for

METERS_PER_SITE = 50
INTERVAL_S = 900


def portfolio(sites: int) -> list[tuple[Site, list[Meter]]]:
    result = []
    for s in range(sites):
        site = Site(f"site-{s:05d}", f"Site {s}", SiteType.OFFICE, "Shanghai", "Shanghai", 31.2, 121.5)
        meters = [Meter(f"s{s:05d}-m{m:02d}", site.site_id, MeterCategory.PUBLIC_HVAC, 20.0) for m in range(METERS_PER_SITE)]
        result.append((site, meters))
    return result


def messages(mode: str, sites: list[tuple[Site, list[Meter]]], readings: int, prefix: str, t0: int) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    step = 0
    while len(out) * (METERS_PER_SITE if mode == "batch" else 1) < readings:
        ts = t0 + step * INTERVAL_S
        for site, meters in sites:
            batch = [Reading(site.site_id, m.meter_id, ts, round(1000 + step * 1.25 + i, 3)) for i, m in enumerate(meters)]
            if mode == "batch":
                out.append((batch_topic(site.site_id, prefix), encode_batch(site.site_id, batch)))
            else:
                out.extend((reading_topic(r.site_id, r.meter_id, prefix), encode_reading(r)) for r in batch)
        step += 1
    return out


def publish(host: str, port: int, items: list[tuple[str, bytes]], retain: bool = False) -> None:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"profile-pub-{uuid.uuid4().hex[:6]}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    infos = [client.publish(topic, payload, qos=1, retain=retain) for topic, payload in items]
    for info in infos:
        info.wait_for_publish(60)
    client.disconnect()
    client.loop_stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["batch", "meter"], default="batch")
    parser.add_argument("--store", choices=["embedded", "influx"], default="embedded")
    parser.add_argument("--readings", type=int, default=200_000)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--py-spy", metavar="FILE", help="sample the drain with py-spy into FILE (collapsed stacks)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kw-profile-"))
    broker = MosquittoServer(binary="mosquitto", workdir=work)
    broker.start()
    influx = None
    try:
        if args.store == "influx":
            (work / "influx").mkdir()
            influx = InfluxServer(binary="influxd", workdir=work / "influx")
            influx.start()
            store = InfluxV1Store(StoreSettings(backend="influx1", url=influx.url, database="profile"))
        else:
            store = EmbeddedStore(work / "series.sqlite")
        engine = create_db_engine(f"sqlite:///{work / 'kilowatch.db'}")
        migrate(engine)
        sessions = session_factory(engine)
        prefix = f"profile-{uuid.uuid4().hex[:6]}/v1"
        mqtt = MqttSettings(host=broker.host, port=broker.port, topic_prefix=prefix, client_id="profile-ingest")
        settings = IngestSettings()
        sites = portfolio(args.sites)
        now = int(time.time())

        # First run: subscribe (creating the session) and apply the announcements.
        worker = IngestWorker(mqtt, settings, store, sessions)
        worker.start()
        worker.wait_until_subscribed(10)
        publish(broker.host, broker.port, [(meta_topic(s.site_id, prefix), encode_meta(s, ms)) for s, ms in sites], retain=True)
        wait_for(lambda: worker.stats.announcements == len(sites), timeout=60, what="announcements")
        worker.stop()

        items = messages(args.mode, sites, args.readings, prefix, now - 86400 * 30)
        total = args.readings if args.mode == "meter" else len(items) * METERS_PER_SITE
        started = time.perf_counter()
        publish(broker.host, broker.port, items)
        print(f"queued {len(items)} messages ({total} readings) in {time.perf_counter() - started:.1f}s")

        spy = None
        if args.py_spy:
            command = [str(Path(sys.executable).parent / "py-spy"), "record", "-r", "250", "-f", "raw", "-o", args.py_spy]
            spy = subprocess.Popen([*command, "--pid", str(os.getpid())], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)  # py-spy attaches asynchronously
        worker = IngestWorker(mqtt, settings, store, sessions)
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        worker.start()
        wait_for(lambda: worker.stats.acked >= len(items), timeout=3600, interval=0.1, what="all acknowledged")
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu_s = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
        worker.stop()
        print(f"{args.mode} messages -> {args.store}: {total} readings in {elapsed:.2f}s = {total / elapsed:,.0f} readings/s")
        print(f"worker process CPU: {cpu_s:.2f}s = {total / cpu_s:,.0f} readings per CPU-second; load {os.getloadavg()[0]:.1f}")
        print(worker.stats)
    finally:
        broker.stop()
        if influx is not None:
            influx.stop()


if __name__ == "__main__":
    main()
