"""The detection-pass benchmark runs its registry in SQLite or in PostgreSQL, and cleans up after itself."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from kilowatch.evaluation.perf import detection_pass


def _databases(admin_url: str) -> set[str]:
    libpq = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'kw_%'")}


def test_a_pass_over_a_tiny_portfolio_with_the_registry_in_sqlite(tmp_path):
    result = detection_pass(4, 3, 1, tmp_path, budget_s=None)
    assert result["registry"] == "sqlite" and result["sites"] == 4 and result["meters"] == 12
    assert result["cold_first_fitted"] == 12  # no budget: every baseline fitted in the first pass


@pytest.mark.services
def test_a_pass_with_the_registry_in_postgresql_drops_its_databases(tmp_path, postgres_admin_url):
    before = _databases(postgres_admin_url)
    result = detection_pass(4, 3, 1, tmp_path, budget_s=None, postgres=postgres_admin_url)
    assert result["registry"].startswith("postgresql") and result["sites"] == 4
    assert result["cold_first_fitted"] == 12
    assert _databases(postgres_admin_url) == before
