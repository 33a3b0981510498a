"""``python -m bench load``: options, the run, and its table beside the goals of issue 15."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import load
from bench.load import GOAL_P99_MS, GOAL_RATIO, LABELS


def load_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("load suite (the API workers are --workers)")
    group.add_argument("--load-clients", type=int, default=50, help="concurrent keep-alive clients [50]")
    group.add_argument("--load-seconds", type=float, default=20.0, help="seconds of load per request kind [20]")
    group.add_argument("--load-sites", type=int, default=100, help="sites with a month of hourly data [100]")
    group.add_argument("--load-alerts", type=int, default=20_000, help="alerts in the relational database [20000]")
    group.add_argument(
        "--load-workdir",
        type=Path,
        default=None,
        help="keep the prepared data here and reuse it next time [a fresh temporary directory]",
    )


def load_suite(args: argparse.Namespace, console: Console) -> list[str]:
    workdir = args.load_workdir or Path(tempfile.mkdtemp(prefix="kilowatch-bench-load-"))
    console.print(f"[dim]load: {args.load_clients} clients, {args.workers} API worker(s), data in {workdir} …[/]")
    try:
        r = load.run(workdir, args.workers, args.load_clients, args.load_seconds, args.load_sites, args.load_alerts)
    finally:
        if args.load_workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    bare = r.of("bare")
    table = Table(title=f"{r.clients} clients, `kilowatch serve --workers {r.workers}`, {r.seconds:g} s each")
    for col in (
        "request",
        "requests",
        "req/s",
        "ratio to bare",
        "goal",
        "p50 ms",
        "p99 ms",
        "non-2xx",
        "errors",
        "CPU ms/req",
        "load",
    ):
        table.add_column(col, justify="right")
    lines = [
        "",
        f"Load: `ab -c {r.clients}` (Apache Bench, C; a new connection per request) for {r.seconds:g} s per request kind against "
        f"`kilowatch serve --workers {r.workers}` (embedded store, SQLite; the API latency data set with "
        f"{args.load_sites} sites, {args.load_alerts:,} alerts) and, first, a bare FastAPI endpoint served by "
        f"`uvicorn --workers {r.workers}` (the ceiling). ab runs on the same cores. Server CPU is what the "
        "server's processes used per request (on idle cores a request would cost about that).",
        "",
        "| request | requests | requests/s | ratio to bare | goal | p50 (ms) | p99 (ms) | p99 goal met (<= 250 ms) | non-2xx | connection errors | server CPU (ms/request) | load avg (1 min) before/after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for x in r.loads:
        ratio = x.per_s / bare.per_s
        goal = GOAL_RATIO.get(x.name)
        ratio_cell = "" if x.name == "bare" else f"{ratio:.2f}"
        goal_cell = "" if goal is None else f">= {goal} {'yes' if ratio >= goal else 'NO'}"
        cells = [
            f"{x.requests:,}",
            f"{x.per_s:,.0f}",
            ratio_cell,
            goal_cell,
            f"{x.p50_ms:.0f}",
            f"{x.p99_ms:.0f}",
            "yes" if x.p99_ms <= GOAL_P99_MS else "NO",
            f"{x.non_2xx}",
            f"{x.errors}",
            f"{x.server_cpu_ms:.1f}",
            f"{x.load_before:.1f}/{x.load_after:.1f}",
        ]
        table.add_row(x.name, *[c for i, c in enumerate(cells) if i != 6])
        lines.append("| " + " | ".join([LABELS[x.name], *cells]) + " |")
    console.print(table)
    return lines
