"""A `kilowatch ingest` process under measurement: its metrics and its peak memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import free_port


class IngestProcess:
    """Runs `kilowatch ingest` against the given broker and InfluxDB database."""

    def __init__(
        self,
        workdir: Path,
        mqtt_port: int,
        prefix: str,
        influx_url: str,
        database: str,
        shared_group: str = "",
        member: int = 0,
        writers: int = 1,
    ) -> None:
        """``shared_group``: join this MQTT 5 shared subscription group as member ``member``;
        ``writers``: writer processes of the worker (``ingest.writers``)."""
        self.metrics_port = free_port()
        self.env = {
            **os.environ,
            "KILOWATCH_MQTT__HOST": "127.0.0.1",
            "KILOWATCH_MQTT__PORT": str(mqtt_port),
            "KILOWATCH_MQTT__TOPIC_PREFIX": prefix,
            "KILOWATCH_MQTT__CLIENT_ID": f"bench-{prefix.replace('/', '-')}-{member}",
            "KILOWATCH_MQTT__SHARED_GROUP": shared_group,
            "KILOWATCH_STORE__BACKEND": "influx1",
            "KILOWATCH_STORE__URL": influx_url,
            "KILOWATCH_STORE__DATABASE": database,
            "KILOWATCH_LOG_LEVEL": "WARNING",
            "KILOWATCH_INGEST__WRITERS": str(writers),
        }
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        data_dir = self.workdir / f"worker-{self.env['KILOWATCH_MQTT__CLIENT_ID']}"
        data_dir.mkdir(exist_ok=True)
        log = (self.workdir / "ingest.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kilowatch.cli",
                "--data-dir",
                str(data_dir),
                "ingest",
                "--metrics-port",
                str(self.metrics_port),
            ],
            env=self.env,
            stdout=log,
            stderr=log,
        )
        log.close()

    def metrics(self) -> dict[str, float]:
        text = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2).text
        values: dict[str, float] = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = values.get(name, 0.0) + float(value)
        return values

    def wait_ready(self, timeout: float = 60) -> None:
        """Return once the metrics endpoint answers (the worker is up and has loaded its registry)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"ingest exited with {self.process.returncode}; see {self.workdir / 'ingest.log'}")
            try:
                self.metrics()
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"ingest's metrics endpoint did not answer within {timeout:.0f}s") from None
                time.sleep(0.1)

    def metric(self, name: str) -> float:
        try:
            return self.metrics().get(f"kilowatch_ingest_{name}_total", 0.0)
        except httpx.HTTPError:
            return 0.0

    def wait_metric(self, name: str, at_least: float, timeout: float) -> float:
        """Poll until the counter reaches ``at_least``; the time it happened (perf_counter)."""
        return wait_total([self], name, at_least, timeout)

    def pids(self) -> list[int]:
        """The worker's process and its children (writer processes, multiprocessing's tracker)."""
        assert self.process is not None
        pid = self.process.pid
        try:
            children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            children = []
        return [pid, *children]

    def peak_rss_mb(self) -> float:
        """High-water mark of resident memory (VmHWM), summed over the worker's processes."""
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
        return total / 1024

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()


def wait_total(pool: list[IngestProcess], name: str, at_least: float, timeout: float) -> float:
    """Poll until the counter summed over ``pool`` reaches ``at_least``; when it did (perf_counter)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker in pool:
            if worker.process is not None and worker.process.poll() is not None:
                raise RuntimeError(f"ingest exited with {worker.process.returncode}; see {worker.workdir / 'ingest.log'}")
        if sum(worker.metric(name) for worker in pool) >= at_least:
            return time.perf_counter()
        time.sleep(0.02)
    reached = sum(worker.metric(name) for worker in pool)
    raise TimeoutError(f"{name} did not reach {at_least:.0f} within {timeout:.0f}s (at {reached:.0f})")


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU seconds the processes have used so far (0 for one that is gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / os.sysconf("SC_CLK_TCK")
