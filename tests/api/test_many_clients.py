"""``kilowatch serve`` under more clients at once than it has pooled database connections."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import free_port, wait_for

KEY = "kw_many-clients-test-" + "k" * 30
#: Well past FastAPI's 40 threads plus SQLAlchemy's 15 pooled connections.
CLIENTS = 120


async def _burst(url: str) -> list[int]:
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": KEY}, timeout=60, limits=limits) as http:
        answers = await asyncio.gather(*(http.get("/api/v1/alerts", params={"limit": 50}) for _ in range(CLIENTS)))
    return [a.status_code for a in answers]


def test_a_burst_of_clients_is_answered_without_waiting_out_the_pool_timeout(tmp_path):
    port = free_port()
    env = {**os.environ, "KILOWATCH_DATA_DIR": str(tmp_path), "KILOWATCH_API__ADMIN_KEY": KEY, "KILOWATCH_LOG_LEVEL": "WARNING"}
    kilowatch = Path(sys.executable).with_name("kilowatch")
    proc = subprocess.Popen(
        [str(kilowatch), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert proc.poll() is None
            try:
                return httpx.get(f"{url}/api/v1/ready", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=60, what="kilowatch serve")
        for _ in range(3):
            began = time.monotonic()
            statuses = asyncio.run(_burst(url))
            # Stuck requests wait out SQLAlchemy's 30 s pool timeout and answer 500.
            assert statuses == [200] * CLIENTS, sorted(set(statuses))
            assert time.monotonic() - began < 25
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
