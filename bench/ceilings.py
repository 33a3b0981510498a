"""Ceilings measured in the same run: Mosquitto to its own C client and to a bare paho client, raw InfluxDB writes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from bench.payloads import Stream
from core.domain import EnergyPoint
from core.store.line_protocol import encode

#: Lines per InfluxDB write, as the 125k points/s machine figure was measured.
INFLUX_BATCH_LINES = 5000
#: In-flight window of the C publishers; Mosquitto's own default is 20.
PUB_INFLIGHT = 1000


def publish(host: str, port: int, streams: Sequence[Stream], qos: int) -> list[subprocess.Popen]:
    """Start one ``mosquitto_pub -l`` per stream; each reads its file and exits when done."""
    procs = []
    for stream in streams:
        with stream.path.open("rb") as lines:
            procs.append(
                subprocess.Popen(
                    [
                        "mosquitto_pub",
                        "-h",
                        host,
                        "-p",
                        str(port),
                        "-q",
                        str(qos),
                        "-M",
                        str(PUB_INFLIGHT),
                        "-t",
                        stream.topic,
                        "-l",
                    ],
                    stdin=lines,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
    return procs


def mqtt_c_client(host: str, port: int, prefix: str, streams: Sequence[Stream], qos: int, workdir: Path) -> float:
    """Seconds for the C subscriber to receive every message the C publishers send."""
    total = sum(s.messages for s in streams)
    sink = workdir / "sub.out"
    marker = f"{prefix}/ready"
    subprocess.run(["mosquitto_pub", "-h", host, "-p", str(port), "-q", "1", "-r", "-t", marker, "-m", "ready"], check=True)
    with sink.open("wb") as out:
        # The retained marker arrives first, so a non-empty file means "subscribed".
        sub = subprocess.Popen(
            ["mosquitto_sub", "-h", host, "-p", str(port), "-q", str(qos), "-t", f"{prefix}/#", "-C", str(total + 1)],
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while sink.stat().st_size == 0:
            if time.monotonic() > deadline:
                sub.kill()
                raise RuntimeError("mosquitto_sub did not subscribe")
            time.sleep(0.01)
        start = time.perf_counter()
        pubs = publish(host, port, streams, qos)
        sub.wait(timeout=600)
        elapsed = time.perf_counter() - start
    for p in pubs:
        p.wait(timeout=60)
    subprocess.run(["mosquitto_pub", "-h", host, "-p", str(port), "-r", "-t", marker, "-n"], check=True)
    return elapsed


def paho_subscriber(host: str, port: int, prefix: str, streams: Sequence[Stream], qos: int) -> float:
    """Seconds for a bare paho subscriber (``bench.paho_sink``, its own process) to receive every message."""
    total = sum(s.messages for s in streams)
    sink = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.paho_sink",
            "--host",
            host,
            "--port",
            str(port),
            "--topic",
            f"{prefix}/#",
            "--count",
            str(total),
            "--qos",
            str(qos),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if sink.stdout is None or sink.stdout.readline().strip() != "ready":
            raise RuntimeError("the paho sink did not subscribe")
        start = time.time()
        pubs = publish(host, port, streams, qos)
        last = float(sink.stdout.readline())
        for p in pubs:
            p.wait(timeout=60)
        return last - start
    finally:
        sink.wait(timeout=60)


def influx_raw_writes(url: str, database: str, points: Sequence[EnergyPoint]) -> float:
    """Seconds to write ``points`` as line protocol in 5,000-line POSTs over one connection."""
    lines = [encode(p) for p in points]
    with httpx.Client(base_url=url, timeout=60) as http:
        http.post("/query", params={"q": f'CREATE DATABASE "{database}"'}).raise_for_status()
        start = time.perf_counter()
        for i in range(0, len(lines), INFLUX_BATCH_LINES):
            body = "\n".join(lines[i : i + INFLUX_BATCH_LINES])
            http.post("/write", params={"db": database, "precision": "s"}, content=body).raise_for_status()
        return time.perf_counter() - start
