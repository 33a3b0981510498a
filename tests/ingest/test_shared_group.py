"""Several workers in one MQTT 5 shared subscription: no interval is counted twice or lost."""

from __future__ import annotations

import random
import uuid

import pytest

from core.domain import Reading
from core.settings import StoreSettings
from core.store.influx_v1 import InfluxV1Store
from tests.ingest.conftest import METERS, NOW, SITE, stored
from tests.support import wait_for

LOBBY, PUMP = METERS[0].meter_id, METERS[1].meter_id
T0 = NOW - 2 * 86400
READINGS = 60


def rising_series(seed: int, start: float) -> list[tuple[int, float]]:
    rng = random.Random(seed)
    register, series = start, []
    for i in range(READINGS):
        register = round(register + rng.uniform(0.0, 3.0), 3)
        series.append((T0 + i * 900, register))
    return series


@pytest.fixture
def group(start_worker, publisher, mqtt_settings):
    """Three workers sharing one subscription group, each having applied the announcement."""
    shared = f"g-{uuid.uuid4().hex[:6]}"
    workers = [
        start_worker(
            mqtt=mqtt_settings.model_copy(update={"shared_group": shared, "client_id": f"{mqtt_settings.client_id}-{i}"})
        )
        for i in range(3)
    ]
    publisher.announce(SITE, METERS)
    wait_for(lambda: all(w.stats.announcements >= 1 for w in workers), what="announcement applied by every worker")
    return workers


def settled(workers, store, meters: dict[str, int]) -> bool:
    return all(w.stats.pending == 0 for w in workers) and all(len(stored(store, m)) == n for m, n in meters.items())


def assert_energy_is_exact(store, meter_id: str, series: list[tuple[int, float]]) -> None:
    points = stored(store, meter_id)
    assert [(p.ts, p.register) for p in points] == series
    assert points[0].energy == 0.0
    for before, after in zip(points, points[1:], strict=False):
        assert after.energy == pytest.approx(after.register - before.register, abs=1e-6), f"interval ending {after.ts}"
    assert sum(p.energy for p in points) == pytest.approx(series[-1][1] - series[0][1], abs=1e-6)


def test_per_meter_readings_spread_over_workers_add_up_to_the_register_rise(group, publisher, store):
    lobby, pump = rising_series(1, 100.0), rising_series(2, 5000.0)
    for a, b in zip(lobby, pump, strict=True):
        publisher.reading(LOBBY, *a)
        publisher.reading(PUMP, *b)

    wait_for(lambda: settled(group, store, {LOBBY: READINGS, PUMP: READINGS}), timeout=30, what="every reading stored")

    assert sum(1 for w in group if w.stats.stored > 0) >= 2, "readings did not reach several workers"
    assert_energy_is_exact(store, LOBBY, lobby)
    assert_energy_is_exact(store, PUMP, pump)


def test_gateway_batches_spread_over_workers_add_up_to_the_register_rise(group, publisher, store):
    lobby, pump = rising_series(3, 10.0), rising_series(4, 20.0)
    for a, b in zip(lobby, pump, strict=True):
        publisher.batch([Reading(SITE.site_id, LOBBY, *a), Reading(SITE.site_id, PUMP, *b)])

    wait_for(lambda: settled(group, store, {LOBBY: READINGS, PUMP: READINGS}), timeout=30, what="every reading stored")

    assert_energy_is_exact(store, LOBBY, lobby)
    assert_energy_is_exact(store, PUMP, pump)


def test_a_reset_seen_across_workers_gives_zero_energy_for_its_interval_only(group, publisher, store):
    series = [(T0 + i * 900, r) for i, r in enumerate([500.0, 501.0, 502.5, 0.5, 1.5, 3.0])]
    publisher.readings(LOBBY, series)

    wait_for(lambda: settled(group, store, {LOBBY: len(series)}), timeout=30, what="every reading stored")

    assert [p.energy for p in stored(store, LOBBY)] == pytest.approx([0.0, 1.0, 1.5, 0.0, 1.0, 1.5])


@pytest.fixture
def influx(influxdb):
    store = InfluxV1Store(StoreSettings(backend="influx1", url=influxdb.url, database=influxdb.new_database(), timeout_s=5))
    yield store
    store.close()


def test_workers_sharing_a_real_influxdb_also_add_up_to_the_register_rise(start_worker, publisher, mqtt_settings, influx):
    shared = f"g-{uuid.uuid4().hex[:6]}"
    workers = [
        start_worker(
            on_store=influx,
            mqtt=mqtt_settings.model_copy(update={"shared_group": shared, "client_id": f"{mqtt_settings.client_id}-{i}"}),
        )
        for i in range(2)
    ]
    publisher.announce(SITE, METERS)
    wait_for(lambda: all(w.stats.announcements >= 1 for w in workers), what="announcement applied by every worker")
    lobby = rising_series(5, 42.0)

    publisher.readings(LOBBY, lobby)

    wait_for(lambda: settled(workers, influx, {LOBBY: READINGS}), timeout=60, what="every reading stored")
    assert_energy_is_exact(influx, LOBBY, lobby)
