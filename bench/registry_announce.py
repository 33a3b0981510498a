"""Site announcements applied to the registry, one after the other, as ingest applies them.

A national portfolio announces 5,000 sites of ~50 meters when ingest first starts; each
announcement is a transaction through ``MeterDirectory.announce``.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg

from core.db.scratch import temporary_database
from core.db.session import create_db_engine, migrate, session_factory
from core.domain import Meter, MeterCategory, Site, SiteType
from ingest.validation import MeterDirectory

#: A server where the benchmark may create (and drop) a database.
POSTGRES_ENV = "KILOWATCH_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def announcement(n: int, meters: int) -> tuple[Site, list[Meter]]:
    site = Site(f"reg-{n:05d}", f"项目 {n}", SiteType.OFFICE, "上海", "上海", 31.2, 121.5)
    return site, [
        Meter(f"reg-{n:05d}-{m:02d}", site.site_id, MeterCategory.CORRIDOR_LIGHTING, 5.0, f"走廊 {m}", 1e9) for m in range(meters)
    ]


def ms_per_announcement(url: str, sites: int, meters: int) -> float:
    """Mean milliseconds of ``sites`` fresh announcements applied in a row."""
    engine = create_db_engine(url)
    try:
        migrate(engine)
        directory = MeterDirectory(session_factory(engine))
        batch = [announcement(n, meters) for n in range(sites)]
        began = time.perf_counter()
        for site, site_meters in batch:
            directory.announce(site, site_meters)
        return (time.perf_counter() - began) / sites * 1000
    finally:
        engine.dispose()


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'registry.db'}"


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh database on the configured server, or None when none answers."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(temporary_database(os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES), prefix="kw_bench"))
        except psycopg.OperationalError:
            url = None
        yield url
