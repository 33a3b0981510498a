"""Fixtures for ingest tests: a real broker, SQLite registry, embedded store, a small publisher."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.db.session import create_db_engine, migrate, session_factory
from core.db.tables import DeadLetterRecord
from core.domain import EnergyPoint, Meter, MeterCategory, Reading, Site, SiteType
from core.settings import IngestSettings, MqttSettings
from core.store.base import SeriesStore, StoreUnavailable
from core.store.embedded import EmbeddedStore
from core.wire import batch_topic, encode_batch, encode_meta, encode_reading, meta_topic, reading_topic
from ingest import IngestWorker
from tests.support import wait_for

#: The fixed "now" of every worker under test (2026-02-25), so timestamp checks are exact.
NOW = 1_772_000_000
SITE = Site("site-a", "Plaza A", SiteType.OFFICE, "Shanghai", "Shanghai", 31.2, 121.5)
OTHER_SITE = Site("site-b", "Plaza B", SiteType.MALL, "Hangzhou", "Zhejiang", 30.3, 120.2)
METERS = [
    Meter("a-lobby", SITE.site_id, MeterCategory.LOBBY_LIGHTING, 4.0),
    Meter("a-pump", SITE.site_id, MeterCategory.WATER_PUMP, 7.5),
]
OTHER_METERS = [Meter("b-hvac", OTHER_SITE.site_id, MeterCategory.PUBLIC_HVAC, 30.0)]


class FaultyStore:
    """A store at the I/O boundary that fails every call with ``StoreUnavailable`` while ``down``."""

    def __init__(self, inner: SeriesStore) -> None:
        self.inner = inner
        self.down = threading.Event()
        self.failures = 0

    def _guard(self) -> None:
        if self.down.is_set():
            self.failures += 1
            raise StoreUnavailable("injected outage")

    def write(self, points: Sequence[EnergyPoint]) -> None:
        self._guard()
        self.inner.write(points)

    def points(self, **kwargs) -> list[EnergyPoint]:
        self._guard()
        return self.inner.points(**kwargs)

    def energy_by_meter(self, **kwargs) -> dict[str, float]:
        self._guard()
        return self.inner.energy_by_meter(**kwargs)

    def latest(self, **kwargs) -> dict[str, EnergyPoint]:
        self._guard()
        return self.inner.latest(**kwargs)

    def ping(self) -> None:
        self._guard()
        self.inner.ping()

    def close(self) -> None:
        self.inner.close()


class Publisher:
    """A plain paho publisher speaking the wire contract; every publish waits for the broker."""

    def __init__(self, host: str, port: int, prefix: str) -> None:
        self.prefix = prefix
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"test-pub-{uuid.uuid4().hex[:8]}")
        self._client.connect(host, port)
        self._client.loop_start()

    def raw(self, topic: str, payload: bytes, retain: bool = False) -> None:
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(timeout=10)
        assert info.is_published(), f"publish to {topic} not confirmed"

    def announce(self, site: Site, meters: list[Meter]) -> None:
        self.raw(meta_topic(site.site_id, self.prefix), encode_meta(site, meters), retain=True)

    def reading(self, meter: str, ts: int, register: float, site: str = SITE.site_id) -> None:
        self.raw(reading_topic(site, meter, self.prefix), encode_reading(Reading(site, meter, ts, register)))

    def readings(self, meter: str, series: Sequence[tuple[int, float]], site: str = SITE.site_id) -> None:
        for ts, register in series:
            self.reading(meter, ts, register, site)

    def batch(self, readings: list[Reading], site: str = SITE.site_id) -> None:
        self.raw(batch_topic(site, self.prefix), encode_batch(site, readings))

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture
def sessions(tmp_path) -> Iterator[sessionmaker[Session]]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'kilowatch.db'}")
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def store(tmp_path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "series.sqlite")
    yield store
    store.close()


@pytest.fixture
def mqtt_settings(mosquitto, topic_prefix) -> MqttSettings:
    return MqttSettings(
        host=mosquitto.host, port=mosquitto.port, topic_prefix=topic_prefix, client_id=f"ingest-{uuid.uuid4().hex[:8]}"
    )


@pytest.fixture
def ingest_settings() -> IngestSettings:
    # Short flushes keep the tests fast; the batching itself is the same.
    return IngestSettings(batch_size=50, flush_interval_s=0.05)


@pytest.fixture
def publisher(mosquitto, topic_prefix) -> Iterator[Publisher]:
    pub = Publisher(mosquitto.host, mosquitto.port, topic_prefix)
    yield pub
    pub.close()


@pytest.fixture
def start_worker(mqtt_settings, ingest_settings, store, sessions) -> Iterator[Callable[..., IngestWorker]]:
    """Start a worker (by default on the test's store and broker settings), stopped at teardown."""
    started: list[IngestWorker] = []

    def start(
        *,
        on_store: SeriesStore | None = None,
        mqtt: MqttSettings | None = None,
        clock: Callable[[], float] = lambda: NOW,
        worker_args: dict | None = None,
        **ingest,
    ) -> IngestWorker:
        settings = ingest_settings.model_copy(update=ingest)
        worker = IngestWorker(mqtt or mqtt_settings, settings, on_store or store, sessions, clock=clock, **(worker_args or {}))
        started.append(worker)
        worker.start()
        assert worker.wait_until_subscribed(10), "worker did not subscribe"
        return worker

    yield start
    for worker in started:
        worker.stop(timeout=2)


@pytest.fixture
def worker(start_worker, publisher) -> IngestWorker:
    """A running worker that has applied the announcements of SITE and OTHER_SITE."""
    worker = start_worker()
    publisher.announce(SITE, METERS)
    publisher.announce(OTHER_SITE, OTHER_METERS)
    wait_for(lambda: worker.stats.announcements >= 2, what="announcements applied")
    return worker


def stored(store: SeriesStore, meter_id: str) -> list[EnergyPoint]:
    """Every point of a meter, oldest first."""
    return store.points(start=0, end=2**31, meter_id=meter_id)


def wait_stored(store: SeriesStore, meter_id: str, count: int) -> list[EnergyPoint]:
    """The meter's points once there are exactly ``count`` (at least one) of them."""

    def ready() -> list[EnergyPoint] | None:
        points = stored(store, meter_id)
        return points if len(points) == count else None

    return wait_for(ready, what=f"{count} points of {meter_id}")


def dead_letters(sessions: sessionmaker[Session]) -> list[DeadLetterRecord]:
    with sessions() as session:
        return list(session.scalars(select(DeadLetterRecord).order_by(DeadLetterRecord.id)))


def wait_dead_letters(sessions: sessionmaker[Session], count: int) -> list[DeadLetterRecord]:
    """The dead-letter rows once there are exactly ``count`` (at least one) of them."""

    def ready() -> list[DeadLetterRecord] | None:
        rows = dead_letters(sessions)
        return rows if len(rows) == count else None

    return wait_for(ready, what=f"{count} dead letters")
