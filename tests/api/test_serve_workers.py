"""``kilowatch serve --workers 2`` over PostgreSQL and InfluxDB 1.x: both workers answer, one keeps the rollups."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from api.rollup_keeper import holder_pid
from tests.support import free_port, wait_for

KEY = "kw_serve-workers-test-" + "k" * 30
KEPT = re.compile(r"carbon rollups kept in [\d.]+ s \(pid (\d+)\)")


def _workers(parent: int) -> list[int]:
    """The worker processes uvicorn spawned (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    found = []
    for pid in map(int, children):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except FileNotFoundError:
            continue
        if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            found.append(pid)
    return sorted(found)


def _keepers(log: Path) -> list[int]:
    """Pids that logged a round of rollup upkeep, in order."""
    return [int(m.group(1)) for m in KEPT.finditer(log.read_text(errors="replace"))]


def _answers_alone(url: str, worker: int, others: list[int]) -> bool:
    """With every other worker stopped, fresh connections are all accepted by ``worker``."""
    for pid in others:
        os.kill(pid, signal.SIGSTOP)
    try:
        # Short: uvicorn's supervisor replaces a worker that misses its health pings for 5 s.
        return all(httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200 for _ in range(5))
    except httpx.HTTPError:
        return False  # still starting up (ready means one worker is), or not answering
    finally:
        for pid in others:
            os.kill(pid, signal.SIGCONT)


def test_two_workers_answer_and_exactly_one_keeps_the_rollups_until_it_dies(tmp_path, postgres_database, influxdb):
    port, log = free_port(), tmp_path / "serve.log"
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
    kilowatch = Path(sys.executable).with_name("kilowatch")
    with log.open("wb") as out:
        # --data-dir as a flag: the workers must get the parent's flags, or the lock lands elsewhere.
        proc = subprocess.Popen(
            [str(kilowatch), "--data-dir", str(tmp_path), "serve", "--port", str(port), "--workers", "2"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                return httpx.get(f"{url}/api/v1/ready", timeout=2).status_code == 200 and len(_workers(proc.pid)) == 2
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=120, what="kilowatch serve --workers 2")
        workers = _workers(proc.pid)
        for worker in workers:
            others = [w for w in workers if w != worker]
            wait_for(
                lambda worker=worker, others=others: _answers_alone(url, worker, others),
                timeout=90,
                what=f"worker {worker} answering alone",
            )
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
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
