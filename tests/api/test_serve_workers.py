"""``kilowatch serve --workers 2`` over PostgreSQL and InfluxDB 1.x: both workers answer, one keeps the rollups."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import httpx

from api.rollup_keeper import holder_pid
from tests.api.served import served, workers_of
from tests.support import wait_for

KEY = "kw_serve-workers-test-" + "k" * 30
KEPT = re.compile(r"carbon rollups kept in [\d.]+ s \(pid (\d+)\)")


def _keepers(log: Path) -> list[int]:
    """Pids that logged a round of rollup upkeep, in order."""
    return [int(m.group(1)) for m in KEPT.finditer(log.read_text(errors="replace"))]


def test_two_workers_answer_and_exactly_one_keeps_the_rollups_until_it_dies(tmp_path, postgres_database, influxdb):
    env = {
        **os.environ,
        "KILOWATCH_DATABASE__URL": postgres_database(),
        "KILOWATCH_STORE__BACKEND": "influx1",
        "KILOWATCH_STORE__URL": influxdb.url,
        "KILOWATCH_STORE__DATABASE": influxdb.new_database(),
        "KILOWATCH_API__ADMIN_KEY": KEY,
        "KILOWATCH_API__ROLLUP_KEEP_S": "0.3",
        "KILOWATCH_LOG_LEVEL": "INFO",
        "COLUMNS": "400",
    }
    with served(tmp_path, env) as (proc, url, log):
        workers = workers_of(proc.pid)
        # The admin key was registered once, before the workers started, and every worker knows it.
        assert httpx.get(f"{url}/metrics", headers={"X-API-Key": KEY}, timeout=5).status_code == 200

        wait_for(lambda: len(_keepers(log)) >= 4, timeout=60, what="rounds of rollup upkeep")
        keepers = set(_keepers(log))
        assert len(keepers) == 1, f"workers {sorted(keepers)} all kept the rollups"
        holder = holder_pid(tmp_path)
        assert keepers == {holder} and holder in workers

        os.kill(holder, signal.SIGKILL)
        survivor = next(w for w in workers if w != holder)
        wait_for(lambda: holder_pid(tmp_path) == survivor, timeout=30, what="the surviving worker taking the lock")
        seen = len(_keepers(log))
        wait_for(lambda: len(_keepers(log)) >= seen + 3, timeout=60, what="upkeep by the surviving worker")
        assert set(_keepers(log)[seen:]) == {survivor}
        assert httpx.get(f"{url}/api/v1/health", timeout=5).status_code == 200
