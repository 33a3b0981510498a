"""``kilowatch serve --workers 2``: the limit of failed sign-ins holds across both workers."""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager

import httpx

from api.options import ApiOptions
from tests.api.served import served, workers_of as _workers

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
    env = {**os.environ, "KILOWATCH_LOG_LEVEL": "INFO", "COLUMNS": "400"}
    env.pop("KILOWATCH_DATABASE__URL", None)  # SQLite in the data directory
    with served(tmp_path, env) as (proc, url, _log):
        session = f"{url}/api/v1/auth/session"
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
