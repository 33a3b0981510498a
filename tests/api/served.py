"""``kilowatch serve --workers N`` in a subprocess for the tests that need real worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support import free_port, wait_for


def workers_of(parent: int) -> list[int]:
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


def answers_alone(url: str, worker: int, others: list[int]) -> bool:
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


@contextmanager
def served(data_dir: Path, env: dict[str, str], workers: int = 2) -> Iterator[tuple[subprocess.Popen, str, Path]]:
    """(process, base URL, log) of ``kilowatch serve --workers N`` once every worker answers alone;
    SIGTERM (then SIGKILL) on the way out."""
    port, log = free_port(), data_dir / "serve.log"
    kilowatch = Path(sys.executable).with_name("kilowatch")
    with log.open("wb") as out:
        # --data-dir as a flag: the workers must get the parent's flags, or their files land elsewhere.
        proc = subprocess.Popen(
            [str(kilowatch), "--data-dir", str(data_dir), "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            cwd=data_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                return httpx.get(f"{url}/api/v1/ready", timeout=2).status_code == 200 and len(workers_of(proc.pid)) == workers
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=120, what=f"kilowatch serve --workers {workers}")
        started = workers_of(proc.pid)
        for worker in started:
            others = [w for w in started if w != worker]
            wait_for(
                lambda worker=worker, others=others: answers_alone(url, worker, others),
                timeout=90,
                what=f"worker {worker} answering alone",
            )
        yield proc, url, log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
