"""Alembic migrations build exactly the schema of core/db/tables.py, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from core.db.registry import load_sites, upsert_site
from core.db.session import (
    MIGRATIONS_DIR,
    alembic_config,
    create_db_engine,
    current_revision,
    head_revision,
    migrate,
    session_factory,
)
from core.db.tables import Base, MeterRecord
from core.domain import Site, SiteType

SITE = Site("s1", "万科中心", SiteType.OFFICE, "深圳", "广东", 22.5, 114.0)


def test_migrate_creates_every_table_of_the_metadata(engine):
    migrate(engine)
    assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}


def test_migrated_schema_matches_table_metadata(engine):
    migrate(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrate_records_the_head_revision(engine):
    migrate(engine)
    assert (
        current_revision(engine) == head_revision() == sorted(p.name[:4] for p in (MIGRATIONS_DIR / "versions").glob("0*.py"))[-1]
    )


def test_upgrading_from_0001_keeps_alerts_and_dead_letters(engine):
    migrate(engine, revision="0001")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO sites (site_id, name, site_type, city, province, latitude, longitude, timezone) "
            "VALUES ('s1', 'n', 'office', 'c', '广东', 0, 0, 'Asia/Shanghai')"
        )
        conn.exec_driver_sql(
            "INSERT INTO alerts (site_id, meter_id, category, kind, status, severity, started_at, ended_at, ongoing, "
            "actual_kwh, expected_kwh, wasted_kwh, cost_cny, co2e_kg, factor_kg_per_kwh, factor_source, explanation, "
            "created_at, updated_at) VALUES ('s1', 'm1', 'public_hvac', 'hvac_after_hours', 'open', 'high', 0, 3600, "
            "false, 5, 1, 4, 3.4, 2.1, 0.44, 'src', '{}', 0, 0)"
        )
        conn.exec_driver_sql("INSERT INTO dead_letters (received_at, topic, reason, payload) VALUES (0, 't', 'r', 'p')")
    migrate(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT reopened FROM alerts").scalar_one() == 0
        assert conn.exec_driver_sql("SELECT kind FROM dead_letters").scalar_one() == ""


def test_upgrading_to_0010_takes_the_detection_time_out_of_the_explanation(engine):
    migrate(engine, revision="0009")
    explanations = ['{"detected_ts": 7200, "detected_at": "2025-06-09 10:00"}', "{}", "not json"]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO sites (site_id, name, site_type, city, province, latitude, longitude, timezone) "
            "VALUES ('s1', 'n', 'office', 'c', '广东', 0, 0, 'Asia/Shanghai')"
        )
        for started_at, explanation in enumerate(explanations):
            conn.exec_driver_sql(
                "INSERT INTO alerts (site_id, meter_id, category, kind, status, severity, started_at, ended_at, ongoing, "
                "actual_kwh, expected_kwh, wasted_kwh, cost_cny, co2e_kg, factor_kg_per_kwh, factor_source, explanation, "
                "created_at, updated_at, reopened) VALUES ('s1', 'm1', 'public_hvac', 'hvac_after_hours', 'open', 'high', "
                f"{started_at}, 3600, false, 5, 1, 4, 3.4, 2.1, 0.44, 'src', '{explanation}', 0, 0, 0)"
            )
    migrate(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT detected_at FROM alerts ORDER BY started_at").scalars().all() == [7200, None, None]


def test_migrating_twice_keeps_schema_and_data(engine):
    migrate(engine)
    with session_factory(engine).begin() as session:
        upsert_site(session, SITE, [])
    migrate(engine)
    with session_factory(engine)() as session:
        assert list(load_sites(session)) == ["s1"]
    assert current_revision(engine) == head_revision()


def test_concurrent_migrations_from_separate_processes_all_succeed(db_url):
    # Services start together and each migrates; none may fail on a half-built schema.
    script = (
        "import sys\n"
        "from core.db.session import create_db_engine, migrate\n"
        "engine = create_db_engine(sys.argv[1])\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
        "migrate(engine)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, db_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    # A barrier: release every process only once all have imported and connected.
    assert [p.stdout.readline().strip() for p in procs] == ["ready"] * 4
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    assert [p.wait(timeout=120) for p in procs] == [0] * 4
    engine = create_db_engine(db_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_migrations_from_threads_of_one_process_all_succeed(db_url):
    errors: list[BaseException] = []

    def run() -> None:
        engine = create_db_engine(db_url)
        try:
            migrate(engine)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def test_downgrade_to_base_removes_every_table(engine):
    migrate(engine)
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}


@pytest.mark.backends("sqlite")
def test_sqlite_foreign_keys_stay_enforced_after_migrate(engine):
    migrate(engine)
    with pytest.raises(IntegrityError), session_factory(engine).begin() as session:
        session.add(MeterRecord(meter_id="m1", site_id="no-such-site", category="elevator", rated_kw=1.0, name=""))


def test_migration_files_are_declared_as_package_data():
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["core"]
    needed = [MIGRATIONS_DIR / "env.py", *sorted((MIGRATIONS_DIR / "versions").glob("*.py"))]
    core_dir = MIGRATIONS_DIR.parents[1]
    undeclared = [p for p in needed if not any(fnmatch(p.relative_to(core_dir).as_posix(), pat) for pat in patterns)]
    assert len(needed) >= 2 and undeclared == []
