"""`kilowatch demo` as a user runs it: printed credentials that sign in, alerts within two minutes,
carbon above zero, clean Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.support import wait_for

pytestmark = pytest.mark.e2e


SIGN_IN = re.compile(r"Sign in:\s+user (\S+), password (\S+)")


def _start_demo(tmp_path, *args: str) -> tuple[subprocess.Popen, list[str], threading.Thread]:
    """Start ``kilowatch demo`` in a subprocess; its output lines are collected as they come."""
    env = {**os.environ, "COLUMNS": "250", "TERM": "dumb", "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kilowatch.cli", "--data-dir", str(tmp_path), "demo", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    return proc, lines, reader


def test_the_printed_dashboard_credentials_sign_in_and_the_key_reaches_the_api(tmp_path):
    proc, lines, reader = _start_demo(tmp_path, "--sites", "3", "--history-days", "3")
    try:
        url = wait_for(
            lambda: next((m.group(1) for line in lines if (m := re.search(r"Dashboard:\s+(http://\S+?)/?\s*$", line))), None),
            60,
            what="the dashboard URL",
        )
        username, password = wait_for(
            lambda: next((m.groups() for line in lines if (m := SIGN_IN.search(line))), None), 5, what="the sign-in line"
        )
        key = wait_for(
            lambda: next((m.group(1) for line in lines if (m := re.search(r"Admin key:\s+(kw_\S+)", line))), None),
            5,
            what="the admin key",
        )
        assert password != key
        with httpx.Client(base_url=url, timeout=10) as browser:
            signed_in = browser.post("/api/v1/auth/session", json={"username": username, "password": password})
            assert signed_in.status_code == 201, signed_in.text
            assert browser.get("/api/v1/auth/session").raise_for_status().json()["role"] == "admin"
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as api:
            assert api.get("/api/v1/alerts").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
        reader.join(5)
    assert code == 0, "".join(lines[-30:])


def test_demo_serves_alerts_and_carbon_within_two_minutes_and_stops_cleanly(tmp_path):
    started = time.monotonic()
    proc, lines, reader = _start_demo(tmp_path, "--sites", "10")
    try:
        url = wait_for(
            lambda: next((m.group(1) for line in lines if (m := re.search(r"Dashboard:\s+(http://\S+?)/?\s*$", line))), None),
            60,
            what="the dashboard URL",
        )
        key = wait_for(
            lambda: next((m.group(1) for line in lines if (m := re.search(r"Admin key:\s+(kw_\S+)", line))), None),
            5,
            what="the admin key",
        )
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as http:
            alerts = wait_for(
                lambda: http.get("/api/v1/alerts").json()["data"],
                timeout=120 - (time.monotonic() - started),
                interval=2,
                what="a first alert",
            )
            assert alerts[0]["wasted_kwh"] > 0
            carbon = http.get("/api/v1/carbon").raise_for_status().json()
            assert carbon["total"]["total_kg"] > 0
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
        reader.join(5)
    assert code == 0, "".join(lines[-30:])
    assert any("Stopped cleanly" in line for line in lines)
