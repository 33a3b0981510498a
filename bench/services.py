"""Private Mosquitto and InfluxDB servers for one benchmark run, on free ports."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.fixtures.influx import InfluxServer
from tests.fixtures.mqtt import MosquittoServer


def _binary(*candidates: str) -> str:
    for candidate in candidates:
        path = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
        if path:
            return path
    raise SystemExit(f"{candidates[0]} is not installed: run 'make test-services' (as root) first")


@contextmanager
def servers() -> Iterator[tuple[MosquittoServer, InfluxServer, Path]]:
    """A fresh broker and InfluxDB 1.x in a temporary directory, stopped afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="kilowatch-bench-"))
    (workdir / "mqtt").mkdir()
    (workdir / "influx").mkdir()
    broker = MosquittoServer(binary=_binary("mosquitto", "/usr/sbin/mosquitto"), workdir=workdir / "mqtt")
    influx = InfluxServer(binary=_binary("influxd", "/usr/bin/influxd"), workdir=workdir / "influx")
    broker.start()
    influx.start()
    try:
        yield broker, influx, workdir
    finally:
        broker.stop()
        influx.stop()
        shutil.rmtree(workdir, ignore_errors=True)
