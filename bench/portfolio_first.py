"""The first portfolio carbon request after start-up, on InfluxDB 1.x or the embedded store.

``python -m bench.portfolio_first --store influx1 --sites 5000 --workdir DIR`` fills DIR once
(the API latency data set: ``--sites`` announced sites with a month of readings every
``--step`` seconds, plus site 0's year; an InfluxDB 1.x with the high-cardinality settings
keeps its files in DIR/influx), then for each of ``--runs`` fresh ``kilowatch serve`` processes
times the portfolio's month (``GET /api/v1/carbon``, every site, one page) to the last byte:
the first request, then ``--later`` more. The rollup keeper of ``serve`` is off during the
timing; before it, the month is built as the keeper's round builds it (``keep_rollups`` over the
month) and that build is timed too: it is the keeper's background cost, not a reader's.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import httpx

from bench.api_latency import MONTH_END, MONTH_START, Dataset, cpu_seconds, env_for, free_port, prepare, requests_of, server
from bench.services import HIGH_CARDINALITY, _binary
from core.settings import Settings
from core.store.base import KeepsRollups
from tests.fixtures.influx import InfluxServer

KEY = "kw_bench-" + "x" * 40


def _timed(http: httpx.Client, path: str, params: dict, pid: int) -> tuple[float, float, int]:
    cpu, began = cpu_seconds(pid), time.perf_counter()
    response = http.get(path, params=params).raise_for_status()
    wall_ms = (time.perf_counter() - began) * 1000
    return wall_ms, (cpu_seconds(pid) - cpu) * 1000, response.json()["sites_total"]


def _build_month(settings: Settings) -> float:
    """What one keeper round does for the data set's month; seconds it took."""
    from kilowatch.wiring import open_series

    store = open_series(settings)
    assert isinstance(store, KeepsRollups), f"{type(store).__name__} keeps no rollups"
    began = time.monotonic()
    store.keep_rollups(start=MONTH_START, end=MONTH_END)
    store.close()
    return time.monotonic() - began


def measure(workdir: Path, backend: str, url: str | None, sites: int, step: int, runs: int, later: int) -> None:
    env = env_for(workdir, backend, url, KEY)
    os.environ.update({k: v for k, v in env.items() if k.startswith("KILOWATCH_")})
    settings = Settings()  # after the environment: the data set's settings
    data = Dataset(workdir, sites, step, alerts=1000)
    prepare(data, settings)
    print(f"data set: {data.stored_points:,} points ({data.prepare_s:.0f} s to prepare)")
    if backend == "influx1":
        print(f"the keeper's build of the month: {_build_month(settings):.1f} s")
    path, params = requests_of(sites)["portfolio_month"]
    for run in range(runs):
        port = free_port()
        serve_env = {**env_for(workdir, backend, url, KEY, port), "KILOWATCH_API__ROLLUP_KEEP_S": "0"}
        load = os.getloadavg()[0]
        with server(serve_env, port) as (base, pid), httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=900) as http:
            first = _timed(http, path, params, pid)
            rest = [_timed(http, path, params, pid) for _ in range(later)]
        print(
            f"serve {run + 1}: load {load:.1f}; first request {first[0]:,.0f} ms ({first[1]:,.0f} ms server CPU, "
            f"{first[2]:,} sites); later {min(r[0] for r in rest):,.0f}-{max(r[0] for r in rest):,.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("influx1", "embedded"), default="influx1")
    parser.add_argument("--sites", type=int, default=5000)
    parser.add_argument("--step", type=int, default=21600, help="seconds between a meter's readings [21600]")
    parser.add_argument("--workdir", type=Path, required=True, help="kept between runs: the data set is filled once")
    parser.add_argument("--runs", type=int, default=3, help="fresh serve processes [3]")
    parser.add_argument("--later", type=int, default=5, help="requests after the first [5]")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.store == "embedded":
        measure(args.workdir, "embedded", None, args.sites, args.step, args.runs, args.later)
        return
    (args.workdir / "influx").mkdir(exist_ok=True)
    influx = InfluxServer(
        binary=_binary("influxd", "/usr/bin/influxd"), workdir=args.workdir / "influx", data_options=HIGH_CARDINALITY
    )
    influx.start()
    try:
        measure(args.workdir, "influx1", influx.url, args.sites, args.step, args.runs, args.later)
    finally:
        influx.stop()


if __name__ == "__main__":
    main()
