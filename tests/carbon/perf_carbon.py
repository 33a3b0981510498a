"""Latency of site and portfolio carbon totals on the embedded store, optionally while a writer ingests.

Not a test (pytest does not collect it): run by hand, numbers go to docs/carbon.md. The sites and
readings are the API benchmark's (``bench.api_latency``), measured here below the HTTP layer.

    .venv/bin/python -m tests.carbon.perf_carbon --dir /tmp/kw-perf [--ingest]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import time
from pathlib import Path

from bench.api_latency import MONTH_END, MONTH_START, YEAR_END, YEAR_START, points, site
from core.carbon import SiteInputs, portfolio_carbon, site_carbon
from core.domain import EnergyPoint
from core.store.embedded import EmbeddedStore
from tests.carbon.ledgers import local


def fill(store: EmbeddedStore, sites: range, start: int, end: int, step: int) -> int:
    """Readings every ``step`` seconds for every meter of ``sites`` (the API benchmark's data set)."""
    written = 0
    for n in sites:
        batch = [p for meter_points in points(n, start, end, step, seed=n) for p in meter_points]
        for i in range(0, len(batch), 20_000):
            store.write(batch[i : i + 20_000])
        written += len(batch)
    return written


def ingest(path: Path, stop: multiprocessing.Event, rate: int) -> None:
    """A writer at ``rate`` points/s in batches of 1,000 (the site-year's own meters stay untouched)."""
    store, ts, rng = EmbeddedStore(path), local(2026, 2, 1), random.Random(2)
    while not stop.is_set():
        began = time.monotonic()
        store.write([EnergyPoint(f"live-{i % 1000}", f"live-{i}", "elevator", ts, 0.0, rng.random()) for i in range(1000)])
        ts += 900
        time.sleep(max(0.0, 1000 / rate - (time.monotonic() - began)))
    store.close()


def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--ingest", action="store_true", help="run a writer at --rate points/s meanwhile")
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / "perf.sqlite"
    fresh = not path.exists()
    store = EmbeddedStore(path)
    if fresh:
        began = time.monotonic()
        n = fill(store, range(1), YEAR_START, YEAR_END, 900)
        print(f"site-year: {n} points of 15-minute data in {time.monotonic() - began:.0f} s")
        began = time.monotonic()
        # The month query reads only rollup rows (one per meter-day), so four readings a day
        # give the same read cost as 96 at a thirtieth of the set-up time.
        n = fill(store, range(1, 1001), MONTH_START, MONTH_END, 21600)
        print(f"portfolio: {n} points (1,000 sites x 10 meters x 30 days) in {time.monotonic() - began:.0f} s")
    one, meters = site(0)
    portfolio = [SiteInputs(*site(n)) for n in range(1, 1001)]
    stop = multiprocessing.Event()
    writer = multiprocessing.Process(target=ingest, args=(path, stop, args.rate)) if args.ingest else None
    if writer:
        writer.start()
        time.sleep(2)
    try:
        p50, p99 = timed(lambda: site_carbon(store, one, meters, YEAR_START, YEAR_END, granularity="month"), args.runs)
        print(f"site carbon, a year of 15-minute data, by month: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({args.runs} runs)")
        runs = max(10, args.runs // 10)
        p50, p99 = timed(lambda: portfolio_carbon(store, portfolio, MONTH_START, MONTH_END), runs)
        print(f"portfolio carbon, 1,000 sites, one month: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({runs} runs)")
    finally:
        if writer:
            stop.set()
            writer.join(30)
        store.close()


if __name__ == "__main__":
    main()
