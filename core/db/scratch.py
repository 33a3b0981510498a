"""Temporary PostgreSQL databases for benchmarks: created on a server, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url


@contextmanager
def temporary_database(admin_url: str, *, prefix: str = "kw_scratch", template: str | None = None) -> Iterator[str]:
    """A new database on the server of ``admin_url`` (a copy of ``template`` if given): its SQLAlchemy URL.

    Raises ``psycopg.OperationalError`` when the server does not answer."""
    admin = make_url(admin_url)
    libpq = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
    with psycopg.connect(libpq, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield admin.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
