"""One empty database per test, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from core.db.session import create_db_engine


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kilowatch.db'}"
    return request.getfixturevalue("postgres_database")()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Parametrize here rather than with fixture params so a test may opt out of a backend
    # with @pytest.mark.backends("sqlite").
    if "db_url" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    wanted = marker.args if marker else ("sqlite", "postgresql")
    params = [pytest.param(name, id=name, marks=[pytest.mark.services] if name == "postgresql" else []) for name in wanted]
    metafunc.parametrize("db_url", params, indirect=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backends(*names): run a database test only on these backends")
