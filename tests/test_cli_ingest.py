"""`kilowatch ingest` start-up: a busy metrics port is one clear line; metrics listen on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support import free_port, wait_for

KILOWATCH = Path(sys.executable).parent / "kilowatch"


def _env(**extra: str) -> dict[str, str]:
    return os.environ | {"KILOWATCH_MQTT__CLIENT_ID": f"ingest-{uuid.uuid4().hex[:8]}", "COLUMNS": "250", **extra}


def _listening(port: int) -> set[str]:
    """Local addresses (as /proc/net/tcp spells them) with a socket listening on ``port``."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_a_busy_metrics_port_is_one_line_naming_the_port_and_the_flag(tmp_path):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        # The broker is never reached: the port is checked before the worker connects.
        result = subprocess.run(
            [str(KILOWATCH), "--data-dir", str(tmp_path), "ingest", "--metrics-port", str(port), "--mqtt-port", str(free_port())],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    problem = [line for line in result.stderr.splitlines() if "kilowatch ingest:" in line]
    assert len(problem) == 1, result.stderr
    assert f"metrics port {port}" in problem[0] and "in use" in problem[0] and "--metrics-port" in problem[0]


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads listening sockets from /proc/net/tcp (Linux)")
@pytest.mark.parametrize(("flags", "expected"), [([], "127.0.0.1"), (["--metrics-host", "0.0.0.0"], "0.0.0.0")])
def test_metrics_listen_on_loopback_unless_told_otherwise(tmp_path, flags, expected):
    port = free_port()
    process = subprocess.Popen(
        [
            str(KILOWATCH),
            "--data-dir",
            str(tmp_path),
            "ingest",
            "--metrics-port",
            str(port),
            "--mqtt-port",
            str(free_port()),
            *flags,
        ],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: _listening(port), timeout=30, what="the metrics endpoint") == {expected}
    finally:
        process.kill()
        process.wait()
