"""Engines, sessions and schema migration for the relational database."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from core.db import versions

#: Alembic scripts, shipped as package data next to this module.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant works; it only has to be the same in every kilowatch process.
_MIGRATION_LOCK_ID = 0x6B696C6F  # "kilo"
# Alembic's ``context`` and ``op`` are module-global proxies: two commands running in
# threads of one process would overwrite each other's, so commands take turns.
_ALEMBIC_LOCK = threading.Lock()


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL and foreign keys switched on."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # DB-API connection
            cur = dbapi_conn.cursor()
            # WAL is a property of the file: switch it once. Switching needs a lock that a
            # concurrent writer (another service migrating) may hold, and SQLite reports
            # that as "database is locked" without waiting, so retry briefly.
            for attempt in range(50):
                if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                    break
                try:
                    cur.execute("PRAGMA journal_mode=WAL")
                except sqlite3.OperationalError:
                    time.sleep(0.1 * min(attempt + 1, 5))
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine`` whose changes bump the change counters they touch (``core.db.versions``)."""
    return versions.watch(sessionmaker(engine, expire_on_commit=False))


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for the packaged migrations; no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """The newest revision in the packaged migrations."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when it was never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    with _ALEMBIC_LOCK:
        command.upgrade(config, revision)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (the newest by default); safe to run again."""
    if engine.dialect.name == "sqlite":
        _migrate_sqlite(engine, revision)
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Services start together; the lock makes the second wait and then find head.
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        _upgrade(connection, revision)


def _migrate_sqlite(engine: Engine, revision: str) -> None:
    with engine.connect() as connection:
        # Batch migrations drop and re-create tables; with foreign keys on, the drop would
        # cascade-delete child rows. The pragma is a no-op inside a transaction, so switch
        # it off first and back on for the pooled connection afterwards.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            # pysqlite does not BEGIN before DDL; an explicit IMMEDIATE transaction takes the
            # write lock up front, so concurrent migrators queue instead of colliding.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                _upgrade(connection, revision)
            except BaseException:
                connection.exec_driver_sql("ROLLBACK")
                raise
            connection.exec_driver_sql("COMMIT")
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
