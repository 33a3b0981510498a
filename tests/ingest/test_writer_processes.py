"""Ingest with writer processes (``ingest.writers`` > 1): sites dispatched by hash, acks after the write.

Real Mosquitto, a real registry file and the embedded store, opened by each writer process
itself; the test reads the same files.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from functools import partial

import pytest

from core.domain import Meter, MeterCategory, Reading, Site, SiteType
from core.store.embedded import EmbeddedStore
from ingest.dispatch import site_of, writer_of
from ingest.poison import POISON_KIND
from ingest.process_worker import ProcessWorker, WriterProcessFailed
from tests.ingest.conftest import (
    METERS,
    NOW,
    OTHER_METERS,
    OTHER_SITE,
    SITE,
    dead_letters,
    stored,
    wait_dead_letters,
    wait_stored,
)
from tests.ingest.processes import INJECTED, POISONED_METER, PoisonedStore, sessions_at
from tests.support import wait_for

T0 = NOW - 3600
LOBBY = METERS[0].meter_id
assert METERS[1].meter_id == POISONED_METER


def portfolio(count: int) -> list[tuple[Site, list[Meter]]]:
    sites = []
    for k in range(count):
        site = Site(f"site-{k}", f"Plaza {k}", SiteType.OFFICE, "Shanghai", "Shanghai", 31.2, 121.5)
        sites.append((site, [Meter(f"m{k}-{j}", site.site_id, MeterCategory.LOBBY_LIGHTING, 4.0) for j in range(2)]))
    return sites


def series(n: int, start: float = 10.0) -> list[tuple[int, float]]:
    """``n`` readings a minute apart whose registers rise by 0.25 (exact in binary)."""
    return [(T0 + 60 * i, start + 0.25 * i) for i in range(n)]


@pytest.fixture
def start_processes(mqtt_settings, ingest_settings, tmp_path) -> Iterator[Callable[..., ProcessWorker]]:
    """Start a ``ProcessWorker`` on the test's broker, registry file and embedded store file."""
    started: list[ProcessWorker] = []

    def start(writers: int, *, store_class: type = EmbeddedStore, worker_args: dict | None = None, **ingest) -> ProcessWorker:
        worker = ProcessWorker(
            mqtt_settings,
            ingest_settings.model_copy(update=ingest),
            partial(store_class, tmp_path / "series.sqlite"),
            partial(sessions_at, f"sqlite:///{tmp_path / 'kilowatch.db'}"),
            clock=partial(float, NOW),
            writers=writers,
            **(worker_args or {}),
        )
        started.append(worker)
        worker.start()
        assert worker.wait_until_subscribed(10), "worker did not subscribe"
        # Spawned writers import everything afresh: seconds on a loaded machine. Each reports
        # once it has loaded the registry and the store's newest points.
        wait_for(lambda: not worker.healthy or all(worker.writer_reports), timeout=60, what="every writer process up")
        return worker

    yield start
    for worker in started:
        worker.stop(timeout=5)


def test_a_sites_messages_all_reach_one_writer_and_several_sites_use_several_writers(start_processes, sessions, store, publisher):
    # Site k sends 2**k readings: a writer's stored count, written in binary, names its sites,
    # whatever the hash; a site split over two writers could not add up to such a partition.
    sites = portfolio(6)
    worker = start_processes(3)
    for site, meters in sites:
        publisher.announce(site, meters)
    for k, (site, meters) in enumerate(sites):
        readings = [Reading(site.site_id, meters[i % 2].meter_id, T0 + 60 * i, 1.0 + 0.25 * i) for i in range(2**k)]
        per_meter, batch = readings[: len(readings) // 2], readings[len(readings) // 2 :]
        for r in per_meter:
            publisher.reading(r.meter_id, r.ts, r.register, site=site.site_id)
        if batch:
            publisher.batch(batch, site=site.site_id)
    wait_for(lambda: worker.stats.stored == 2**6 - 1, what="every reading stored")
    wait_for(lambda: sum(r.get("stored", 0) for r in worker.writer_reports) == 2**6 - 1, what="every writer's report")

    owned = [{k for k in range(6) if r.get("stored", 0) >> k & 1} for r in worker.writer_reports]
    assert sorted(k for sites_of in owned for k in sites_of) == list(range(6))  # each site in exactly one writer
    # The announcement of a site went to the writer of its readings.
    assert [r.get("announcements", 0) for r in worker.writer_reports] == [len(s) for s in owned]
    assert sum(1 for s in owned if s) > 1, f"one writer took every site: {owned}"


def test_site_of_reads_the_site_from_any_per_site_topic():
    prefix = b"kw/v1"
    assert site_of(b"kw/v1/site-7/m1/reading", prefix) == b"site-7"
    assert site_of(b"kw/v1/site-7/batch", prefix) == b"site-7"
    assert site_of(b"kw/v1/site-7/weather", prefix) == b"site-7"  # a later per-site topic: same writer
    assert writer_of(b"site-7", 3) == writer_of(site_of(b"kw/v1/site-7/meta", prefix), 3)


@pytest.mark.parametrize("writers", [2, 3])
def test_nothing_is_lost_and_energy_is_exact_with_several_writers(start_processes, sessions, store, publisher, writers):
    sites = portfolio(5)
    worker = start_processes(writers)
    for site, meters in sites:
        publisher.announce(site, meters)
    expected: dict[str, list[tuple[int, float]]] = {}
    messages = len(sites)
    for k, (site, meters) in enumerate(sites):
        first, second = meters
        expected[first.meter_id] = series(12, start=100.0 * k)
        expected[second.meter_id] = series(12, start=100.0 * k + 50)
        publisher.readings(first.meter_id, expected[first.meter_id], site=site.site_id)
        batch = [Reading(site.site_id, second.meter_id, ts, reg) for ts, reg in expected[second.meter_id]]
        publisher.batch(batch[:6], site=site.site_id)
        publisher.batch(batch[6:], site=site.site_id)
        messages += 12 + 2

    for meter_id, readings in expected.items():
        points = wait_stored(store, meter_id, len(readings))
        assert [(p.ts, p.register) for p in points] == readings
        assert [p.energy for p in points] == [0.0] + [0.25] * (len(readings) - 1)
    wait_for(lambda: worker.stats.acked == messages, what="every message acknowledged")
    assert worker.stats.stored == sum(len(r) for r in expected.values()) and worker.healthy


def test_a_writer_killed_mid_stream_loses_nothing_the_next_worker_stores_the_rest_exactly_once(
    start_processes, sessions, store, publisher
):
    # A five-second flush keeps received readings in the writer, unwritten, when it is killed.
    sites = portfolio(4)
    first = start_processes(2, flush_interval_s=5.0, batch_size=500)
    for site, meters in sites:
        publisher.announce(site, meters)
    expected = {m.meter_id: series(30, start=10.0 * k) for k, (_, meters) in enumerate(sites) for m in meters}
    site_of_meter = {m.meter_id: site.site_id for site, meters in sites for m in meters}

    def publish(lo: int, hi: int) -> None:
        for meter_id, readings in expected.items():
            publisher.readings(meter_id, readings[lo:hi], site=site_of_meter[meter_id])

    publish(0, 10)
    wait_for(lambda: first.stats.stored == 10 * len(expected), timeout=20, what="the first readings stored")
    received = first.stats.received
    publish(10, 20)
    wait_for(lambda: first.stats.received >= received + 10 * len(expected), what="the next readings received")
    os.kill(
        first.writer_pids[writer_of(sites[0][0].site_id.encode(), 2)], signal.SIGKILL
    )  # inside its flush interval: holding them unwritten

    wait_for(lambda: not first.healthy, what="the worker noticing its writer died")
    assert first.run_until(threading.Event()) == 1
    assert isinstance(first.error, WriterProcessFailed)
    assert any(len(stored(store, m)) < 20 for m in expected), "nothing was held unwritten: the kill proved nothing"

    second = start_processes(2)  # same client id: the broker redelivers what was not acknowledged
    publish(20, 30)
    for meter_id, readings in expected.items():
        points = wait_stored(store, meter_id, len(readings))
        assert [(p.ts, p.register) for p in points] == readings
        assert [p.energy for p in points] == [0.0] + [0.25] * (len(readings) - 1)
    assert second.healthy


def test_a_poison_message_is_set_apart_by_its_writer_process_and_the_rest_stored(
    start_processes, sessions, store, publisher, tmp_path
):
    # A long flush puts the three messages of SITE in one batch of their writer: it fails,
    # retries them one by one, stores the lobby's two and dead-letters the pump's alone.
    worker = start_processes(
        2, store_class=PoisonedStore, flush_interval_s=1.5, worker_args={"dead_letter_path": tmp_path / "letters"}
    )
    publisher.announce(SITE, METERS)
    publisher.announce(OTHER_SITE, OTHER_METERS)
    publisher.reading(LOBBY, T0, 1.0)
    publisher.reading(POISONED_METER, T0, 5.0)
    publisher.reading(LOBBY, T0 + 60, 2.0)
    publisher.reading(OTHER_METERS[0].meter_id, T0, 3.0, site=OTHER_SITE.site_id)

    assert [p.ts for p in wait_stored(store, LOBBY, 2)] == [T0, T0 + 60]
    wait_stored(store, OTHER_METERS[0].meter_id, 1)
    [letter] = wait_dead_letters(sessions, 1)
    assert letter.kind == POISON_KIND and INJECTED in letter.reason and POISONED_METER in letter.topic
    wait_for(lambda: worker.stats.acked == 6, what="every message acknowledged")  # the announcements too
    assert worker.healthy and worker.error is None and worker.stats.rejected[POISON_KIND] == 1


def test_a_lone_poison_message_fails_one_process_and_is_set_apart_by_the_next(
    start_processes, sessions, store, publisher, tmp_path
):
    args = {"dead_letter_path": tmp_path / "letters"}
    first = start_processes(2, store_class=PoisonedStore, worker_args=args)
    publisher.announce(SITE, METERS)
    publisher.reading(LOBBY, T0, 1.0)
    wait_stored(store, LOBBY, 1)
    publisher.reading(POISONED_METER, T0, 5.0)
    wait_for(lambda: not first.healthy, what="the writer failing on the lone message")
    assert first.run_until(threading.Event()) == 1

    # The same site hashes to the same writer, which finds the message among its suspects.
    second = start_processes(2, store_class=PoisonedStore, worker_args=args)
    # A new process spawns its writers first: seconds on a loaded machine.
    [letter] = wait_for(lambda: dead_letters(sessions), timeout=30, what="the suspect dead-lettered")
    assert letter.kind == POISON_KIND and POISONED_METER in letter.topic
    publisher.reading(LOBBY, T0 + 60, 2.0)
    wait_stored(store, LOBBY, 2)
    assert second.healthy
