"""API latency while ingest writes: site-year and portfolio-month carbon totals, the alert list.

The production app (``kilowatch serve``: uvicorn, one process) answers real HTTP on a free
port; a separate process writes readings through the store's own ``write`` (what the ingest
worker calls, in its batches: a flush every 0.5 s or 5,000 readings) at the national rate or
as fast as the store takes them. Requests are sequential, one at a time, from this process.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from api.schemas.common import SITE_PAGE_DEFAULT
from core.alerts import AlertStatus
from core.domain import EnergyPoint, Meter, MeterCategory, Site, SiteType
from core.timebase import DAY, HOME_ZONE, HOUR

#: Meters of every site: lighting, HVAC, lifts, a pump, PV (on every other site) and gas.
CATEGORIES = (
    MeterCategory.CORRIDOR_LIGHTING,
    MeterCategory.CORRIDOR_LIGHTING,
    MeterCategory.LOBBY_LIGHTING,
    MeterCategory.GARAGE_LIGHTING,
    MeterCategory.PUBLIC_HVAC,
    MeterCategory.ELEVATOR,
    MeterCategory.ELEVATOR,
    MeterCategory.WATER_PUMP,
    MeterCategory.PV,
    MeterCategory.GAS,
)
YEAR = 2025
MONTH = 6
#: The national portfolio of docs/benchmarks.md: 5,000 sites x 50 meters, one reading a minute.
NATIONAL_RATE = 4_200
#: Ingest flushes (core/settings.py IngestSettings defaults).
FLUSH_S, BATCH_MAX = 0.5, 5_000
ALERT_STATUSES = (AlertStatus.OPEN,) * 2 + (AlertStatus.ACKNOWLEDGED,) + (AlertStatus.RESOLVED,) * 3
ALERT_SEVERITIES = ("low", "medium", "high")
ALERT_KINDS = ("baseline_excess", "after_hours", "weekend_running")
GOALS_MS = {"health": None, "site_year": 50.0, "portfolio_month": 500.0, "alerts": 50.0}


def local(year: int, month: int, day: int = 1) -> int:
    return int(datetime(year, month, day, tzinfo=HOME_ZONE).timestamp())


YEAR_START, YEAR_END = local(YEAR, 1), local(YEAR + 1, 1)
MONTH_START, MONTH_END = local(YEAR, MONTH), local(YEAR, MONTH + 1)


def site(n: int) -> tuple[Site, list[Meter]]:
    s = Site(f"bench-{n:04d}", f"bench site {n}", SiteType.OFFICE, "深圳", "广东", 22.5, 114.0)
    meters = [Meter(f"{s.site_id}-m{i}", s.site_id, c, 10.0) for i, c in enumerate(CATEGORIES)]
    # PV on every other site, so half the portfolio nets generation against consumption.
    return s, [m for m in meters if m.category is not MeterCategory.PV or n % 2 == 0]


def points(n: int, start: int, end: int, step: int, seed: int) -> Iterator[list[EnergyPoint]]:
    """Readings every ``step`` s of site ``n``'s meters, a meter at a time."""
    rng = random.Random(seed)
    s, meters = site(n)
    for m in meters:
        yield [EnergyPoint(s.site_id, m.meter_id, m.category.value, ts, 0.0, rng.uniform(0, 3)) for ts in range(start, end, step)]


# -- preparation ---------------------------------------------------------------------------


@dataclass
class Dataset:
    workdir: Path
    sites: int
    portfolio_step: int
    alerts: int
    stored_points: int = 0
    prepare_s: float = 0.0

    @property
    def marker(self) -> Path:
        return self.workdir / "prepared.json"


def env_for(workdir: Path, backend: str, influx_url: str | None, admin_key: str, port: int = 0) -> dict[str, str]:
    env = {
        **os.environ,
        "KILOWATCH_DATA_DIR": str(workdir),
        "KILOWATCH_STORE__BACKEND": backend,
        "KILOWATCH_API__ADMIN_KEY": admin_key,
        "KILOWATCH_LOG_LEVEL": "WARNING",
    }
    if influx_url:
        env["KILOWATCH_STORE__URL"] = influx_url
        env["KILOWATCH_STORE__DATABASE"] = "bench"
    if port:
        env["KILOWATCH_API__PORT"] = str(port)
    return env


def prepare(data: Dataset, settings) -> None:
    """Fill the relational database and the store once; a second run with the same ``--workdir`` reuses them."""
    from sqlalchemy import insert

    from core.db.registry import upsert_site
    from core.db.tables import AlertRecord
    from kilowatch.wiring import open_database, open_series

    wanted = {
        "sites": data.sites,
        "portfolio_step": data.portfolio_step,
        "alerts": data.alerts,
        "backend": settings.store.backend,
    }
    if data.marker.exists():
        done = json.loads(data.marker.read_text())
        if {k: done.get(k) for k in wanted} == wanted:
            data.stored_points, data.prepare_s = done["stored_points"], done["prepare_s"]
            return
        raise SystemExit(f"{data.workdir} holds another data set ({done}); pass a fresh --workdir")
    began = time.monotonic()
    data.workdir.mkdir(parents=True, exist_ok=True)
    sessions = open_database(settings)
    store = open_series(settings)
    stored = 0
    with sessions() as session:
        for n in range(data.sites + 1):
            upsert_site(session, *site(n))
        session.commit()
        rng = random.Random(7)
        rows = []
        for i in range(data.alerts):
            n = rng.randrange(1, data.sites + 1)
            started = MONTH_START + rng.randrange(0, MONTH_END - MONTH_START - DAY)
            wasted = round(rng.lognormvariate(2.0, 1.0), 2)
            status = rng.choice(ALERT_STATUSES)
            rows.append(
                dict(
                    site_id=f"bench-{n:04d}",
                    meter_id=f"bench-{n:04d}-m{rng.randrange(4)}",
                    category="corridor_lighting",
                    kind=rng.choice(ALERT_KINDS),
                    status=status,
                    severity=rng.choice(ALERT_SEVERITIES),
                    started_at=started,
                    ended_at=started + 3 * HOUR,
                    ongoing=False,
                    actual_kwh=wasted + 4.0,
                    expected_kwh=4.0,
                    wasted_kwh=wasted,
                    cost_cny=wasted * 0.85,
                    co2e_kg=wasted * 0.5,
                    factor_kg_per_kwh=0.5,
                    factor_source="bench",
                    explanation=json.dumps(
                        {"check": "baseline_excess", "text_en": "Lights stayed on.", "text_zh": "照明未关闭。"}
                    ),
                    snoozed_until=started + 7 * DAY if i % 10 == 0 else None,
                    created_at=started,
                    updated_at=started,
                )
            )
        session.execute(insert(AlertRecord), rows)
        session.commit()
    # Site 0: a year of 15-minute data; sites 1..N: one month every ``portfolio_step`` seconds.
    for batch in points(0, YEAR_START, YEAR_END, 900, seed=1):
        store.write(batch)
        stored += len(batch)
    for n in range(1, data.sites + 1):
        batch = [p for meter_points in points(n, MONTH_START, MONTH_END, data.portfolio_step, seed=n) for p in meter_points]
        store.write(batch)
        stored += len(batch)
        if n % 100 == 0:
            print(f"  prepared {n:,}/{data.sites:,} sites ({stored:,} points, {time.monotonic() - began:.0f} s)", flush=True)
    store.close()
    data.stored_points, data.prepare_s = stored, time.monotonic() - began
    data.marker.write_text(json.dumps({**wanted, "stored_points": stored, "prepare_s": data.prepare_s}))


# -- the writer ----------------------------------------------------------------------------


#: Where the writer's readings fall: ``measured`` inside the ranges the requests read (late
#: data for InfluxDB, whose rollups then recompute those days), ``now`` at the current second
#: (live ingest: InfluxDB's sealed days are untouched).
WRITER_TARGETS = ("measured", "now")


def _write_loop(settings_env: dict[str, str], rate: int | None, sites: int, stop, counter, into: str = "measured") -> None:
    """Readings of the portfolio's meters inside the measured month and of site 0's year (or now), as ingest flushes them."""
    os.environ.update(settings_env)
    from core.settings import Settings
    from kilowatch.wiring import open_writable_series

    # As ingest writes: each batch stamps the reading versions, so the API's kept answers end.
    store = open_writable_series(Settings())
    rng = random.Random(3)
    meters = [(s, m) for n in range(sites + 1) for s, ms in [site(n)] for m in ms]
    # New minutes (not on the prepared grid) spread over the measured ranges: the writer
    # touches the same rollup rows the requests read.
    minute, i = 60, 0
    while not stop.is_set():
        began = time.monotonic()
        size = BATCH_MAX if rate is None else max(1, int(rate * FLUSH_S))
        batch = []
        for _ in range(size):
            s, m = meters[i % len(meters)]
            if into == "now":
                ts = int(time.time())
            else:
                lo, hi = (YEAR_START, YEAR_END) if s.site_id.endswith("0000") else (MONTH_START, MONTH_END)
                ts = lo + (minute + (i // len(meters)) * 900) % (hi - lo)
            batch.append(EnergyPoint(s.site_id, m.meter_id, m.category.value, ts, 0.0, rng.uniform(0, 3)))
            i += 1
        store.write(batch)
        with counter.get_lock():
            counter.value += len(batch)
        if rate is not None:
            time.sleep(max(0.0, FLUSH_S - (time.monotonic() - began)))
    store.close()


@contextmanager
def writer(env: dict[str, str], rate: int | None, sites: int, into: str = "measured") -> Iterator[Callable[[], float]]:
    """A writer process meanwhile; yields a function giving its achieved points/s so far."""
    if rate == 0:
        yield lambda: 0.0
        return
    ctx = multiprocessing.get_context("spawn")
    stop, counter = ctx.Event(), ctx.Value("q", 0)
    proc = ctx.Process(target=_write_loop, args=(env, rate, sites, stop, counter, into), daemon=True)
    proc.start()
    while counter.value == 0 and proc.is_alive():
        time.sleep(0.05)
    began, first = time.monotonic(), counter.value
    try:
        yield lambda: (counter.value - first) / max(1e-9, time.monotonic() - began)
    finally:
        stop.set()
        proc.join(60)


# -- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(
    env: dict[str, str], port: int, workers: int = 1, command: list[str] | None = None, ready_path: str = "/api/v1/ready"
) -> Iterator[tuple[str, int]]:
    """``kilowatch serve`` (the production app through kilowatch's wiring), or ``command``, until the block ends."""
    kilowatch = Path(sys.executable).with_name("kilowatch")
    command = command or [str(kilowatch), "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{' '.join(command[:2])} exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{url}{ready_path}", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(command[:2])} did not become ready")
            time.sleep(0.2)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- measuring -----------------------------------------------------------------------------


@dataclass
class Latency:
    name: str
    samples_ms: list[float] = field(default_factory=list)
    #: CPU time the server process used per request: what the request costs on an idle core.
    server_cpu_ms: float = 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p99(self) -> float:
        ordered = sorted(self.samples_ms)
        # Nearest rank: with 100 samples the 99th smallest, with 200 the 198th.
        return ordered[max(0, -(-99 * len(ordered) // 100) - 1)]


def requests_of(sites: int) -> dict[str, tuple[str, dict]]:
    return {
        # The floor: what any request costs on this machine right now (no database, no store).
        "health": ("/api/v1/health", {}),
        "site_year": (
            "/api/v1/sites/bench-0000/carbon",
            {"start": f"{YEAR}-01-01", "end": f"{YEAR}-12-31", "granularity": "month"},
        ),
        "portfolio_month": ("/api/v1/carbon", {"start": f"{YEAR}-{MONTH:02d}-01", "end": f"{YEAR}-{MONTH:02d}-30"}),
        "alerts": (
            "/api/v1/alerts",
            [("status", "open"), ("status", "acknowledged"), ("snoozed", "false"), ("sort", "-wasted_kwh"), ("limit", "50")],
        ),
    }


def check(http: httpx.Client, path: str, params, sites: int, alerts: int) -> None:
    """The answers are what the data set says, so a fast wrong answer cannot pass."""
    body = http.get(path, params=params).raise_for_status().json()
    if path.endswith("/health"):
        return
    if path.endswith("/carbon") and "sites" in body:
        # One page of the portfolio's sites (the API's default page size); sites_total counts all of them.
        assert body["sites_total"] == sites + 1, f"portfolio holds {body['sites_total']} sites"
        assert len(body["sites"]) == min(sites + 1, SITE_PAGE_DEFAULT), f"a page of {len(body['sites'])} sites"
        assert body["total"]["readings"] > 0
    elif path.endswith("/carbon"):
        assert body["readings"] >= 35_000 * 9, body["readings"]
        assert len(body["periods"]) == 12
    else:
        assert len(body["data"]) == 50 and body["total"] > alerts // 4, body["total"]
        wastes = [a["wasted_kwh"] for a in body["data"]]
        assert wastes == sorted(wastes, reverse=True)


def measure(url: str, pid: int, key: str, runs: int, sites: int, alerts: int, portfolio_runs: int | None = None) -> list[Latency]:
    results = []
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=600) as http:
        for name, (path, params) in requests_of(sites).items():
            check(http, path, params, sites, alerts)
            count = runs if name != "portfolio_month" or portfolio_runs is None else portfolio_runs
            for _ in range(min(3, count)):  # warm-up: connections, caches
                http.get(path, params=params).raise_for_status()
            latency = Latency(name)
            cpu = cpu_seconds(pid)
            for _ in range(count):
                began = time.perf_counter()
                http.get(path, params=params).raise_for_status()
                latency.samples_ms.append((time.perf_counter() - began) * 1000)
            latency.server_cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / count
            results.append(latency)
    return results


@dataclass
class Run:
    mode: str
    writer_points_per_s: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    latencies: list[Latency]


def run(
    data: Dataset,
    backend: str,
    influx_url: str | None,
    runs: int,
    modes: dict[str, int | None],
    portfolio_runs: int | None = None,
    into: str = "measured",
) -> list[Run]:
    """Prepare once, then per writer mode: start the server, the writer, and time the requests."""
    from core.settings import Settings

    key = "kw_bench-" + "x" * 40
    env = env_for(data.workdir, backend, influx_url, key)
    os.environ.update({k: v for k, v in env.items() if k.startswith("KILOWATCH_")})
    prepare(data, Settings())
    out = []
    port = free_port()
    with server(env_for(data.workdir, backend, influx_url, key, port), port) as (url, pid):
        for mode, rate in modes.items():
            with writer(env, rate, data.sites, into) as achieved:
                load_before = os.getloadavg()
                latencies = measure(url, pid, key, runs, data.sites, data.alerts, portfolio_runs)
                out.append(Run(mode, achieved(), load_before, os.getloadavg(), latencies))
    return out
