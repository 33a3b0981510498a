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


#: InfluxDB 1.x settings for a portfolio of hundreds of thousands of meters: the inmem
#: index refuses a tag's 100,001st value (``max-values-per-tag``) and keeps every series
#: in the heap; TSI keeps the index on disk. What docs/scaling.md asks of a production 1.x.
HIGH_CARDINALITY = {"index-version": "tsi1", "max-values-per-tag": 0, "max-series-per-database": 0}


@contextmanager
def servers(influx_options: dict[str, str | int] | None = None) -> Iterator[tuple[MosquittoServer, InfluxServer, Path]]:
    """A fresh broker and InfluxDB 1.x (with extra ``[data]`` settings) in a temporary directory, stopped afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="kilowatch-bench-"))
    (workdir / "mqtt").mkdir()
    (workdir / "influx").mkdir()
    broker = MosquittoServer(binary=_binary("mosquitto", "/usr/sbin/mosquitto"), workdir=workdir / "mqtt")
    influx = InfluxServer(
        binary=_binary("influxd", "/usr/bin/influxd"), workdir=workdir / "influx", data_options=dict(influx_options or {})
    )
    broker.start()
    influx.start()
    try:
        yield broker, influx, workdir
    finally:
        broker.stop()
        influx.stop()
        shutil.rmtree(workdir, ignore_errors=True)
