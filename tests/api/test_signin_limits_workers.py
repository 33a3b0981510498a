"""``kilowatch serve --workers 2``: the limit of failed sign-ins holds across both workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import httpx

from api.options import ApiOptions
from tests.api.test_serve_workers import _answers_alone, _workers
from tests.support import free_port, wait_for

LIMIT = ApiOptions().sign_in_max_failures
GUESS = {"username": "nobody-at-all", "password": "wrong-password-1"}


@contextmanager
def _only(parent: int, worker: int):
    """Every other worker stopped: fresh connections are accepted by ``worker`` alone."""
    others = [pid for pid in _workers(parent) if pid != worker]
    for pid in others:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in others:
            os.kill(pid, signal.SIGCONT)


def test_failed_sign_ins_counted_by_one_worker_block_the_other(tmp_path):
    port, log = free_port(), tmp_path / "serve.log"
    env = {**os.environ, "KILOWATCH_LOG_LEVEL": "INFO", "COLUMNS": "400"}
    env.pop("KILOWATCH_DATABASE__URL", None)  # SQLite in the data directory
    kilowatch = Path(sys.executable).with_name("kilowatch")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(kilowatch), "--data-dir", str(tmp_path), "serve", "--port", str(port), "--workers", "2"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    session = f"{url}/api/v1/auth/session"
    try:

        def ready() -> bool:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                return httpx.get(f"{url}/api/v1/ready", timeout=2).status_code == 200 and len(_workers(proc.pid)) == 2
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=120, what="kilowatch serve --workers 2")
        first, second = _workers(proc.pid)
        for worker, other in ((first, second), (second, first)):
            wait_for(
                lambda worker=worker, other=other: _answers_alone(url, worker, [other]),
                timeout=90,
                what=f"worker {worker} answering alone",
            )

        # Kept short: uvicorn replaces a worker that misses its health pings for 5 s (a
        # replacement starts with nothing counted, which only makes the check stricter).
        counted = _workers(proc.pid)[0]
        with _only(proc.pid, counted):
            answers = [httpx.post(session, json=GUESS, timeout=4).status_code for _ in range(LIMIT)]
        assert answers == [401] * LIMIT
        other = next(pid for pid in _workers(proc.pid) if pid != counted)
        with _only(proc.pid, other):
            # Per process, the other worker had counted nothing and let LIMIT more guesses through.
            blocked = httpx.post(session, json=GUESS, timeout=4)
        assert blocked.status_code == 429, blocked.text
        assert 1 <= int(blocked.headers["Retry-After"]) <= ApiOptions().sign_in_window_s
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
