"""``python -m bench load``: many clients at once against ``kilowatch serve --workers N``.

Apache Bench (``ab``, C, from Debian's apache2-utils) keeps 50 clients busy (a new
connection per request: ab speaks HTTP/1.0, which uvicorn does not keep alive) against the alert list, a site's carbon for a month
by day, and a bare FastAPI endpoint served by uvicorn with the same worker count in the
same run: the ceiling of any route on this machine at this moment. ``ab`` runs on the same
cores as the server; it is light (one process, C), but it is not free.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import api_latency
from bench.api_latency import MONTH, YEAR, Dataset

AB = "/usr/bin/ab"
#: ab abandons the whole run at the first answer slower than this; longer than SQLAlchemy's
#: 30 s pool timeout, so a request stuck waiting for a connection comes back as a counted 500.
AB_TIMEOUT_S = 60
#: Goals of issue 15: fractions of the bare endpoint's requests/s, and the p99 at 50 clients.
GOAL_RATIO = {"alerts": 0.5, "carbon": 0.3}
GOAL_P99_MS = 250.0
LABELS = {
    "bare": "bare FastAPI endpoint (ceiling)",
    "alerts": "alert list, first page, status+snoozed filter, by waste",
    "carbon": f"site carbon, {YEAR}-{MONTH:02d} by day, 15-minute data of 10 meters",
}


def requests_of() -> dict[str, str]:
    """Paths with their queries, as ``ab`` takes them."""
    return {
        "alerts": "/api/v1/alerts?status=open&status=acknowledged&snoozed=false&sort=-wasted_kwh&limit=50",
        "carbon": f"/api/v1/sites/bench-0000/carbon?start={YEAR}-{MONTH:02d}-01&end={YEAR}-{MONTH:02d}-30&granularity=day",
        "bare": "/bare",
    }


def ensure_ab() -> str:
    """``ab``, installed from Debian (as root) when missing, as scripts/test-services.sh does."""
    if Path(AB).exists():
        return AB
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "apache2-utils"], env=env, check=False, capture_output=True)
        if not Path(AB).exists():
            subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "apache2-utils"], env=env, check=True, capture_output=True)
    if not Path(AB).exists():
        raise SystemExit("the load suite needs ab: sudo apt-get install -y apache2-utils")
    return AB


@dataclass
class Load:
    name: str
    requests: int
    per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    #: Connections refused or broken, and requests that timed out (``ab``'s Connect/Receive/Exceptions).
    errors: int
    #: CPU time the server's processes used per request: what a request costs on an idle core.
    server_cpu_ms: float
    load_before: float
    load_after: float


def _field(text: str, pattern: str, default: str = "0") -> str:
    found = re.search(pattern, text)
    return found.group(1) if found else default


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a server and its worker processes so far (Linux /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = api_latency.cpu_seconds(pid)
    for child in map(int, children):
        try:
            total += tree_cpu_seconds(child)
        except FileNotFoundError:
            pass  # ended meanwhile
    return total


def ab(url: str, key: str | None, clients: int, seconds: float, name: str, server_pid: int) -> Load:
    """``seconds`` of ``clients`` concurrent clients on ``url``; percentiles from ab's CSV."""
    with tempfile.TemporaryDirectory() as tmp:
        percentiles = Path(tmp) / "percentiles.csv"
        headers = ["-H", f"X-API-Key: {key}"] if key else []
        command = [
            AB,
            "-q",
            "-c",
            str(clients),
            "-t",
            str(seconds),
            "-n",
            "10000000",
            "-s",
            str(AB_TIMEOUT_S),
            "-e",
            str(percentiles),
            *headers,
            url,
        ]
        load_before, cpu_before = os.getloadavg()[0], tree_cpu_seconds(server_pid)
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            # ab gives up on the whole run at the first request slower than -s (APR timeout: 70007 % 256 = 119).
            raise SystemExit(f"ab failed on {name} ({done.returncode}): {done.stderr.strip()[-500:]}")
        out = done.stdout
        cpu = tree_cpu_seconds(server_pid) - cpu_before
        with percentiles.open() as f:
            rows = {float(r[0]): float(r[1]) for r in list(csv.reader(f))[1:]}
    failed = re.search(r"\(Connect: (\d+), Receive: (\d+), Length: \d+, Exceptions: (\d+)\)", out)
    return Load(
        name=name,
        requests=int(_field(out, r"Complete requests:\s+(\d+)")),
        per_s=float(_field(out, r"Requests per second:\s+([\d.]+)")),
        p50_ms=rows[50.0],
        p99_ms=rows[99.0],
        non_2xx=int(_field(out, r"Non-2xx responses:\s+(\d+)")),
        errors=sum(int(g) for g in failed.groups()) if failed else 0,
        server_cpu_ms=cpu * 1000 / max(1, int(_field(out, r"Complete requests:\s+(\d+)"))),
        load_before=load_before,
        load_after=os.getloadavg()[0],
    )


def check(url: str, key: str, alerts: int) -> None:
    """The answers are what the data set says, so a fast wrong answer cannot pass."""
    paths = requests_of()
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=60) as http:
        body = http.get(paths["alerts"]).raise_for_status().json()
        assert len(body["data"]) == 50 and body["total"] > alerts // 4, body["total"]
        body = http.get(paths["carbon"]).raise_for_status().json()
        assert len(body["periods"]) == 30 and body["readings"] >= 30 * 96 * 9, (len(body["periods"]), body["readings"])


@dataclass
class Run:
    workers: int
    clients: int
    seconds: float
    loads: list[Load]
    prepare_s: float

    def of(self, name: str) -> Load:
        return next(load for load in self.loads if load.name == name)


def run(workdir: Path, workers: int, clients: int, seconds: float, sites: int, alerts: int) -> Run:
    """Prepare once (the API latency data set), then the bare app, then ``kilowatch serve``, each with ``workers``."""
    from core.settings import Settings

    ensure_ab()
    data = Dataset(workdir, sites, 3600, alerts)
    key = "kw_bench-" + "x" * 40
    env = api_latency.env_for(data.workdir, "embedded", None, key)
    os.environ.update({k: v for k, v in env.items() if k.startswith("KILOWATCH_")})
    api_latency.prepare(data, Settings())
    loads = []
    warm = min(3.0, seconds)  # both workers up (ready means one is), connections and caches warm
    port = api_latency.free_port()
    uvicorn = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.bare_app:app",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    bare_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH")])),
    }
    with api_latency.server(bare_env, port, command=uvicorn, ready_path="/bare") as (url, pid):
        ab(f"{url}/bare", None, clients, warm, "warm-up", pid)
        loads.append(ab(f"{url}/bare", None, clients, seconds, "bare", pid))
    port = api_latency.free_port()
    with api_latency.server(api_latency.env_for(data.workdir, "embedded", None, key, port), port, workers) as (url, pid):
        check(url, key, data.alerts)
        for name, path in requests_of().items():
            if name == "bare":
                continue
            ab(f"{url}{path}", key, clients, warm, "warm-up", pid)
            loads.append(ab(f"{url}{path}", key, clients, seconds, name, pid))
    return Run(workers, clients, seconds, loads, data.prepare_s)
