"""``python -m bench api``: options, the run, and its table beside the goals of issue 5."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import api_latency
from bench.api_latency import GOALS_MS, NATIONAL_RATE, Dataset

LABELS = {
    "health": "health (floor: no database, no store)",
    "site_year": "site carbon, a year of 15-minute data, by month",
    "portfolio_month": "portfolio carbon, one month, all sites",
    "alerts": "alert list, first page, status+snoozed filter, by waste",
}
SHORT = {"health": "health", "site_year": "site year", "portfolio_month": "portfolio month", "alerts": "alert list"}
MODES = {"idle": 0, "national": NATIONAL_RATE, "max": None}


def api_latency_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("api suite")
    group.add_argument(
        "--api-store", choices=("embedded", "influx1"), default="embedded", help="time-series store behind the API [embedded]"
    )
    group.add_argument("--api-sites", type=int, default=1000, help="sites of the portfolio month [1000]")
    group.add_argument(
        "--api-step",
        type=int,
        default=3600,
        help="seconds between the portfolio month's readings (the site year is always 900) [3600]",
    )
    group.add_argument("--api-alerts", type=int, default=20_000, help="alerts in the relational database [20000]")
    group.add_argument("--api-runs", type=int, default=200, help="requests per figure (>= 100 for a p99) [200]")
    group.add_argument(
        "--api-portfolio-runs",
        type=int,
        default=None,
        help="requests for the portfolio figure when it is too slow for --api-runs (then p99 is not a p99) [--api-runs]",
    )
    group.add_argument(
        "--api-modes",
        default="idle,national,max",
        help=f"writer modes: idle (none), national ({NATIONAL_RATE:,} readings/s), max, or a rate in "
        f"readings/s (e.g. 69000, what one ingest worker stores at most) [idle,national,max]",
    )
    group.add_argument(
        "--api-writer-into",
        choices=api_latency.WRITER_TARGETS,
        default="measured",
        help="where the writer's readings fall: inside the measured ranges (late data) or now (live ingest) [measured]",
    )
    group.add_argument(
        "--api-workdir",
        type=Path,
        default=None,
        help="keep the prepared data here and reuse it next time [a fresh temporary directory]",
    )


def _rate(mode: str) -> int:
    if not mode.isdigit() or int(mode) <= 0:
        raise SystemExit(f"unknown writer mode {mode!r}: idle, national, max or a rate in readings/s")
    return int(mode)


def api_suite(args: argparse.Namespace, console: Console) -> list[str]:
    workdir = args.api_workdir or Path(tempfile.mkdtemp(prefix="kilowatch-bench-api-"))
    data = Dataset(workdir, args.api_sites, args.api_step, args.api_alerts)
    modes = {m: MODES[m] if m in MODES else _rate(m) for m in args.api_modes.split(",")}
    influx = None
    if args.api_store == "influx1":
        from bench.services import _binary
        from tests.fixtures.influx import InfluxServer

        (workdir / "influx").mkdir(parents=True, exist_ok=True)
        influx = InfluxServer(binary=_binary("influxd", "/usr/bin/influxd"), workdir=workdir / "influx")
        influx.start()
    console.print(f"[dim]api latency: {args.api_store} store, data in {workdir} …[/]")
    try:
        runs = api_latency.run(
            data,
            args.api_store,
            influx.url if influx else None,
            args.api_runs,
            modes,
            args.api_portfolio_runs,
            args.api_writer_into,
        )
    finally:
        if influx is not None:
            influx.stop()
        if args.api_workdir is None:  # a temporary data set (~1 GB) is not kept
            shutil.rmtree(workdir, ignore_errors=True)
    counts = f"{args.api_runs} sequential requests each"
    if args.api_portfolio_runs is not None:
        counts += f", {args.api_portfolio_runs} for the portfolio"
    table = Table(title=f"API latency over HTTP, {args.api_store} store ({counts})")
    for col in ("request", "writer", "writes/s", "p50 ms", "p99 ms", "goal", "met", "server CPU ms", "load"):
        table.add_column(col, justify="right")
    lines = [
        "",
        f"API latency, `{args.api_store}` store: site 0 holds a year of 15-minute data (10 meters incl. PV and gas); "
        f"{data.sites:,} sites x 9-10 meters hold {api_latency.YEAR}-{api_latency.MONTH:02d} every {data.portfolio_step} s; "
        f"{data.alerts:,} alerts in SQLite. {data.stored_points:,} points prepared in {data.prepare_s:.0f} s. "
        f"Requests: {counts}. "
        "Server: `kilowatch serve` (uvicorn, one process); writer: a separate process calling the store's `write` "
        f"in ingest-sized flushes {'into the measured ranges' if args.api_writer_into == 'measured' else 'at the current time'}.",
        "",
        "Server CPU is the CPU time the server process used per request (on an idle core the latency "
        "would be about that); the health row is the floor any request pays on the machine at that moment.",
        "",
        "| request | writer | writer readings/s | p50 (ms) | p99 (ms) | goal p99 (ms) | met | server CPU (ms/request) | load avg (1 min) before/after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for latency in run.latencies:
            goal = GOALS_MS[latency.name]
            met = "" if goal is None else "yes" if latency.p99 <= goal else "NO"
            cells = [
                run.mode,
                f"{run.writer_points_per_s:,.0f}",
                f"{latency.p50:.1f}",
                f"{latency.p99:.1f}",
                "" if goal is None else f"{goal:.0f}",
                met,
                f"{latency.server_cpu_ms:.1f}",
                f"{run.load_before[0]:.1f}/{run.load_after[0]:.1f}",
            ]
            table.add_row(SHORT[latency.name], *cells)
            lines.append("| " + " | ".join([LABELS[latency.name], *cells]) + " |")
    console.print(table)
    return lines
