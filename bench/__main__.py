"""``python -m bench`` (``make bench``): measure, print beside the ceilings, save a report."""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import ingest_throughput, memory, registry_announce, sustain
from bench.api_report import api_latency_options, api_suite
from bench.load_report import load_options, load_suite
from bench.services import HIGH_CARDINALITY, servers

# Wide enough for the ingest table when the output is not a terminal (a log, a CI job).
console = Console() if sys.stdout.isatty() else Console(width=160)
SUITES = ("ingest", "memory", "national", "api", "registry", "load")


def _ingest(args: argparse.Namespace) -> list[str]:
    rows: dict[str, list[ingest_throughput.IngestResult]] = {}
    with servers() as (broker, influx, workdir):
        for batch in (False, True):
            readings = args.readings * (10 if batch else 1)
            for i in range(args.repeat):
                for writers in args.writers:
                    console.print(
                        f"[dim]ingest, {'gateway batches' if batch else 'per-meter messages'}, {writers} writer process(es), "
                        f"run {i + 1}/{args.repeat} …[/]"
                    )
                    result = ingest_throughput.run(
                        broker, influx, workdir, readings, batch, workers=args.workers, writers=writers
                    )
                    rows.setdefault((result.mode, writers), []).append(result)
    who = "one worker" if args.workers == 1 else f"{args.workers} workers in one shared subscription group"
    table = Table(title=f"Ingest, {who}, QoS 1, InfluxDB 1.6.7 (medians)")
    columns = (
        "mode",
        "writers",
        "readings",
        "stored+acked/s",
        "C client ceiling/s",
        "ratio",
        "bare paho/s",
        "ratio",
        "raw InfluxDB pts/s",
        "ratio",
        "cores: ingest / broker / InfluxDB",
        "peak RSS MB",
    )
    for col in columns:
        table.add_column(col, justify="right")
    lines = [
        f"Ingest, {who}, QoS 1, InfluxDB 1.6.7 (medians of {args.repeat}); cores = CPU seconds per second while the worker ran:",
        "",
        "| mode | writer processes | readings | stored+acked readings/s | Mosquitto → C client readings/s | ratio | Mosquitto → bare paho readings/s | ratio "
        "| raw InfluxDB points/s | ratio | cores: ingest / broker / InfluxDB | peak RSS (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (mode, writers), results in rows.items():
        rate = statistics.median(r.readings_per_s for r in results)
        ceiling = statistics.median(r.c_client_readings_per_s for r in results)
        paho = statistics.median(r.paho_readings_per_s for r in results)
        raw = statistics.median(r.influx_raw_points_per_s for r in results)
        cores = " / ".join(
            f"{statistics.median(getattr(r, f'{side}_cores') for r in results):.2f}" for side in ("ingest", "broker", "influx")
        )
        peak = max(r.peak_rss_mb for r in results)
        cells = [
            mode,
            str(writers),
            f"{results[0].readings:,}",
            f"{rate:,.0f}",
            f"{ceiling:,.0f}",
            f"{rate / ceiling:.2f}",
            f"{paho:,.0f}",
            f"{rate / paho:.2f}",
            f"{raw:,.0f}",
            f"{rate / raw:.2f}",
            cores,
            f"{peak:.0f}",
        ]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    console.print(table)
    return lines


def _memory(args: argparse.Namespace) -> list[str]:
    with servers() as (broker, influx, workdir):
        console.print(f"[dim]memory: {args.big_messages:,} messages of {memory.MESSAGE_BYTES // 1024} kB …[/]")
        r = memory.run(broker, influx, workdir, args.big_messages)
    line = (
        f"Memory under large payloads: {r.messages:,} messages of {r.message_bytes // 1024} kB (one reading each) "
        f"stored in {r.seconds:.0f} s; ingest RSS {r.baseline_rss_mb:.0f} MB before, peak {r.peak_rss_mb:.0f} MB "
        f"(+{r.peak_rss_mb - r.baseline_rss_mb:.0f} MB) beside a buffer bound of {r.buffer_max_mb} MB "
        f"(ingest.buffer_max_mb; at most about twice it is held, with the batch being written)."
    )
    console.print(line)
    return ["", line]


def _national(args: argparse.Namespace) -> list[str]:
    with servers(HIGH_CARDINALITY) as (broker, influx, workdir):
        console.print(f"[dim]national portfolio: {args.sites:,} sites x {sustain.METERS} meters for {args.minutes:g} min …[/]")
        r = sustain.run(broker, influx, workdir, args.minutes, args.sites)
    first, last = r.backlog(first=True), r.backlog(first=False)
    lines = [
        "",
        f"National portfolio ({args.sites:,} sites x {sustain.METERS} meters, one reading a minute = "
        f"{r.readings_per_s_target:,.0f} readings/s target) for {r.minutes:g} min: published {r.published:,}, "
        f"stored {r.stored:,}, rejected {r.rejected:,}, spooled {r.spooled:,}; median backlog first quarter "
        f"{first:,.0f} readings, last quarter {last:,.0f}; median data lag first quarter {r.lag(True):.0f} s, "
        f"last quarter {r.lag(False):.0f} s, worst {r.max_lag:.0f} s; peak RSS {r.peak_rss_mb:.0f} MB.",
    ]
    console.print(lines[-1])
    lines += ["", "| minute | stored readings/s | backlog (readings) | data lag (s) |", "|---|---|---|---|"]
    previous_stored = 0
    for minute, stored, backlog, lag in r.per_minute():
        lines.append(f"| {minute} | {(stored - previous_stored) / 60:,.0f} | {backlog:,} | {lag:.0f} |")
        previous_stored = stored
    return lines


def _registry(args: argparse.Namespace) -> list[str]:
    sites, meters = args.registry_sites, 50
    lines = [
        f"Registry: {sites} new {meters}-meter sites announced one after the other (ms per announcement, "
        f"median of {args.repeat} runs):",
        "",
        "| database | ms per announcement | 5,000 sites would take (s) |",
        "|---|---|---|",
    ]
    for name, database in (("SQLite", registry_announce.sqlite_database), ("PostgreSQL", registry_announce.postgres_database)):
        runs = []
        for _ in range(args.repeat):
            with database() as url:
                if url is None:
                    break
                runs.append(registry_announce.ms_per_announcement(url, sites, meters))
        if not runs:
            console.print(f"[yellow]{name}: no server answers (set {registry_announce.POSTGRES_ENV}); skipped[/]")
            continue
        ms = statistics.median(runs)
        console.print(f"registry, {name}: {ms:.1f} ms per announcement")
        lines.append(f"| {name} | {ms:.1f} | {ms * 5:.0f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="kilowatch benchmarks; each figure beside its ceiling.")
    parser.add_argument("suite", nargs="*", help="what to measure: ingest, memory, national, api, registry, load [default: all]")
    parser.add_argument("--readings", type=int, default=40_000, help="per-meter readings per run (batches get 10x) [40000]")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="ingest workers (>1: one MQTT 5 shared subscription group); API workers of the load suite [1]",
    )
    parser.add_argument(
        "--writers",
        type=lambda v: [int(n) for n in v.split(",")],
        default=[1],
        help="writer processes of each ingest worker (ingest.writers); several, as 1,2, are measured side by side [1]",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported [3]")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the national-portfolio run [10]")
    parser.add_argument("--sites", type=int, default=sustain.SITES, help="sites of the national portfolio [5000]")
    parser.add_argument("--big-messages", type=int, default=3000, help="255 kB messages of the memory run [3000]")
    parser.add_argument("--registry-sites", type=int, default=300, help="new sites announced per registry run [300]")
    api_latency_options(parser)
    load_options(parser)
    args = parser.parse_args(argv)
    args.suite = args.suite or list(SUITES)
    unknown = set(args.suite) - set(SUITES)
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(sorted(unknown))}; choose from {', '.join(SUITES)}")

    report = [
        f"# Benchmark run {datetime.now().isoformat(timespec='seconds')}",
        "",
        f"Command: `{' '.join(['python -m bench', *sys.argv[1:]])}` on {platform.node()} "
        f"({subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, Python {platform.python_version()}).",
        "",
    ]
    started = time.monotonic()
    if "ingest" in args.suite:
        report += _ingest(args)
    if "memory" in args.suite:
        report += _memory(args)
    if "national" in args.suite:
        report += _national(args)
    if "api" in args.suite:
        report += api_suite(args, console)
    if "registry" in args.suite:
        report += _registry(args)
    if "load" in args.suite:
        report += load_suite(args, console)
    out = Path("reports") / f"bench-{datetime.now():%Y%m%d-%H%M%S}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(report) + "\n")
    console.print(f"Report written to {out} ({time.monotonic() - started:.0f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
