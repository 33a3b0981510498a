"""Build the long-lived components (store, database) from settings, once."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from core.db.session import create_db_engine, migrate, session_factory
from core.db.versioned_store import VersionedStore
from core.settings import Settings
from core.store import SeriesStore, open_store
from core.store.influx_http import redacted

log = logging.getLogger(__name__)


def open_database(settings: Settings) -> sessionmaker[Session]:
    """Connect to the relational database and bring its schema up to date."""
    engine = create_db_engine(settings.database_url)
    migrate(engine)
    return session_factory(engine)


def open_series(settings: Settings, sessions: sessionmaker[Session] | None = None) -> SeriesStore:
    """The configured store; with ``sessions``, its writes bump the reading versions the API's answers are kept by."""
    store = open_store(settings.store, settings.data_dir)
    log.info("time-series store: %s", settings.store.backend)
    return store if sessions is None else VersionedStore(store, sessions)


def open_writable_series(settings: Settings) -> SeriesStore:
    """The store for a process that writes readings (ingest, imports): versioned in the configured database."""
    return open_series(settings, open_database(settings))


def describe_database(settings: Settings) -> str:
    """The database URL with any password masked, for logs and messages."""
    return redacted(settings.database_url)
