"""The whole pipeline against real services: Mosquitto, InfluxDB 1.x, SQLite, HTTP API.

The simulator publishes a week of clean history and then one known day for three
sites, with one injected waste event; the test follows the readings into InfluxDB,
the alert out of the detector and the API, and the carbon total back to the store.
"""

from __future__ import annotations

from datetime import datetime, time as dtime
from zoneinfo import ZoneInfo

import httpx
import pytest

from api.app import create_app
from api.security import create_api_key
from core.carbon import electricity_factor
from core.domain import GAS_CATEGORIES, GENERATION_CATEGORIES, MeterCategory
from core.settings import Settings
from core.store import open_store
from ingest import IngestWorker
from kilowatch.broker import pick_port
from kilowatch.runtime import ApiServerThread
from kilowatch.wiring import open_database
from models.detection import DetectionPass
from simulators import WasteEvent, build_portfolio, generate, run_simulation
from tests.support import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.services]

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEED = 11
HISTORY_DAYS = 7
#: The known day: an ordinary Tuesday, no holiday or make-up working day around it.
KNOWN_DAY = datetime(2026, 3, 10, tzinfo=SHANGHAI)


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _midnight(dt: datetime) -> int:
    return int(datetime.combine(dt.date(), dtime(0, 0), tzinfo=SHANGHAI).timestamp())


@pytest.fixture
def pipeline(mosquitto, influxdb, topic_prefix, tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        mqtt={"host": mosquitto.host, "port": mosquitto.port, "topic_prefix": topic_prefix, "client_id": f"e2e-{topic_prefix}"},
        store={"backend": "influx1", "url": influxdb.url, "database": influxdb.new_database()},
        # The known day is fixed, so readings are as old as the calendar makes them.
        ingest={"max_age_s": 20 * 365 * 86400},
    )
    store = open_store(settings.store, settings.data_dir)
    sessions = open_database(settings)
    worker = IngestWorker(settings.mqtt, settings.ingest, store, sessions)
    worker.start()
    assert worker.wait_until_subscribed(10)
    yield settings, store, sessions, worker
    worker.stop()
    store.close()


def test_readings_flow_to_alerts_and_carbon(pipeline):
    settings, store, sessions, worker = pipeline
    portfolio = build_portfolio(3, SEED)
    wasteful_site = next(
        s for s in portfolio.sites if any(m.category is MeterCategory.CORRIDOR_LIGHTING for m in portfolio.meters[s.site_id])
    )
    lights = next(m for m in portfolio.meters[wasteful_site.site_id] if m.category is MeterCategory.CORRIDOR_LIGHTING)
    day = _midnight(KNOWN_DAY)
    event = WasteEvent(
        wasteful_site.site_id,
        lights.meter_id,
        "lights_daylight",
        day + 9 * 3600,
        day + 16 * 3600,
        round(0.8 * lights.rated_kw, 2),
    )
    start = day - HISTORY_DAYS * 86400
    end = day + 86400

    sim_mqtt = settings.mqtt.model_copy(update={"client_id": settings.mqtt.client_id + "-sim", "protocol": "3.1.1"})
    result = run_simulation(sim_mqtt, portfolio, start, HISTORY_DAYS + 1, waste=[event], seed=SEED, progress=False)
    wait_for(lambda: worker.stats.stored >= result.readings_published, timeout=120, what="every published reading stored")
    assert sum(worker.stats.rejected.values()) == 0

    # Every published reading is stored with its value (the generator is deterministic).
    published = {
        (r.meter_id, r.ts): r.register
        for _, readings in generate(portfolio, start, end, waste=[event], seed=SEED)
        for r in readings
    }
    assert len(published) == result.readings_published
    stored = {
        (p.meter_id, p.ts): p.register for s in portfolio.sites for p in store.points(start=start, end=end, site_id=s.site_id)
    }
    assert stored.keys() == published.keys()
    assert all(stored[k] == pytest.approx(v, abs=1e-6) for k, v in published.items())

    DetectionPass(store, sessions, settings.detect, settings.carbon).run()

    with sessions.begin() as session:
        key = create_api_key(session, "e2e admin", "admin")
    port = pick_port(0)
    server = ApiServerThread(create_app(settings, store, sessions), "127.0.0.1", port)
    server.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            alerts = http.get("/api/v1/alerts", params={"limit": 100}).raise_for_status().json()
            items = alerts["data"]
            on_event = [
                a
                for a in items
                if a["meter_id"] == lights.meter_id and _ts(a["started_at"]) < event.end and _ts(a["ended_at"]) > event.start
            ]
            assert on_event, f"no alert for the injected event; alerts: {items}"
            clean_sites = {s.site_id for s in portfolio.sites} - {wasteful_site.site_id}
            assert not [a for a in items if a["site_id"] in clean_sites], "alerts raised on clean sites"
            assert on_event[0]["wasted_kwh"] > 0 and on_event[0]["co2e_kg"] > 0

            carbon = (
                http.get(f"/api/v1/sites/{wasteful_site.site_id}/carbon", params={"start": "2026-03-03", "end": "2026-03-10"})
                .raise_for_status()
                .json()
            )
    finally:
        server.stop()

    # The carbon total equals the stored kWh times the factor it reports. PV consumed
    # behind the meter lowers grid import interval by interval, never below zero.
    meters = {m.meter_id: m.category for m in portfolio.meters[wasteful_site.site_id]}
    consumed: dict[int, float] = {}
    generated: dict[int, float] = {}
    for p in store.points(start=start, end=end, site_id=wasteful_site.site_id):
        if meters[p.meter_id] in GENERATION_CATEGORIES:
            generated[p.ts] = generated.get(p.ts, 0.0) + p.energy
        elif meters[p.meter_id] not in GAS_CATEGORIES:
            consumed[p.ts] = consumed.get(p.ts, 0.0) + p.energy
    stored_kwh = sum(consumed.values())
    grid_kwh = sum(max(0.0, kwh - generated.get(ts, 0.0)) for ts, kwh in consumed.items())
    assert carbon["kwh"] == pytest.approx(stored_kwh, rel=1e-6)
    assert carbon["grid_kwh"] == pytest.approx(grid_kwh, rel=1e-6)
    factor = carbon["electricity_factor"]
    assert factor["value"] == electricity_factor(wasteful_site.province, 2026).value
    assert carbon["scope2_location_kg"] == pytest.approx(grid_kwh * factor["value"], rel=1e-6)
