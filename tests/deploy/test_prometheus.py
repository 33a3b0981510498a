"""The shipped Prometheus config is valid, and a real Prometheus scrapes ingest and detect and evaluates every dashboard panel.

The config is the one in deploy/prometheus/, with only the compose host names replaced by
this machine's ports (and the API key file by a temporary one).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from ingest.metrics import IngestMetrics, serve_metrics
from kilowatch.detect_metrics import DetectMetrics, serve
from models.detection import DetectionReport
from tests.support import free_port, require_binary, wait_for

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
DASHBOARD = json.loads((ROOT / "deploy/grafana/dashboards/kilowatch.json").read_text())


def _promql() -> list[tuple[str, str]]:
    return [
        (p["title"], t["expr"])
        for p in DASHBOARD["panels"]
        for t in p.get("targets", [])
        if p.get("datasource", {}).get("type") == "prometheus"
    ]


def _local(config: dict, ports: dict[str, int], key_file: Path, scrape_s: str = "") -> dict:
    """The shipped config, its compose targets pointed at local ports (jobs without a port: an unused one)."""
    out = json.loads(json.dumps(config))
    if scrape_s:
        out["global"]["scrape_interval"] = scrape_s
    for job in out["scrape_configs"]:
        name = job["job_name"]
        job["static_configs"] = [{"targets": [f"127.0.0.1:{ports.get(name, free_port())}"]}]
        if "authorization" in job:
            job["authorization"]["credentials_file"] = str(key_file)
    return out


def test_the_shipped_config_passes_promtool(tmp_path):
    promtool = require_binary("promtool", "/usr/bin/promtool", package="prometheus")
    key = tmp_path / "key"
    key.write_text("kw_test-key\n")
    # Only the secret's path changes: the file compose mounts does not exist here.
    config = json.loads(json.dumps(CONFIG))
    for job in config["scrape_configs"]:
        if "authorization" in job:
            job["authorization"]["credentials_file"] = str(key)
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run([promtool, "check", "config", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def prometheus(tmp_path) -> Iterator[tuple[str, IngestMetrics, DetectMetrics]]:
    """A real Prometheus scraping a real ingest and detect metrics server every second."""
    binary = require_binary("prometheus", "/usr/bin/prometheus", package="prometheus")
    ingest, detect = IngestMetrics(), DetectMetrics()
    ingest_port, detect_port, port = free_port(), free_port(), free_port()
    servers = [serve_metrics(ingest_port, ingest.registry, addr="127.0.0.1"), serve(detect_port, detect, addr="127.0.0.1")]
    key = tmp_path / "key"
    key.write_text("kw_test-key\n")
    config = _local(CONFIG, {"kilowatch-ingest": ingest_port, "kilowatch-detect": detect_port}, key, scrape_s="1s")
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert process.poll() is None, (tmp_path / "prometheus.log").read_text()[-2000:]
        try:
            return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, timeout=30, what="prometheus ready")
        yield url, ingest, detect
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        for server in servers:
            server.shutdown()


def query(url: str, expr: str) -> list[dict]:
    body = httpx.get(f"{url}/api/v1/query", params={"query": expr}, timeout=5).json()
    assert body["status"] == "success", f"{expr}: {body.get('error')}"
    return body["data"]["result"]


def test_prometheus_scrapes_ingest_and_detect_and_every_dashboard_panel_evaluates(prometheus):
    url, ingest, detect = prometheus
    ingest.stored, ingest.rejected["bad_unit"] = 120, 2
    ingest.clock = lambda: 1_780_276_600.0
    ingest.stored_up_to(1_780_276_500)
    with detect.timing():
        pass
    detect.record(DetectionReport(sites_scanned=2, meters_scored=17, alerts_opened=1))
    # What record() reads from the alerts table (tests/test_detect_metrics.py checks that part).
    detect.ongoing.labels("hvac_after_hours").set(1)

    for job in ("kilowatch-ingest", "kilowatch-detect"):
        wait_for(
            lambda job=job: [r for r in query(url, f'up{{job="{job}"}}') if r["value"][1] == "1"],
            timeout=30,
            what=f"{job} scraped",
        )
    # Rates need two samples inside their window.
    wait_for(
        lambda: query(url, "count_over_time(kilowatch_detect_last_pass_meters_scored[1m]) >= 3"), timeout=30, what="three scrapes"
    )

    assert query(url, "sum(kilowatch_detect_last_pass_meters_scored)")[0]["value"][1] == "17"
    assert query(url, "max(kilowatch_ingest_data_lag_seconds)")[0]["value"][1] == "100"
    exprs = _promql()
    assert exprs
    for title, expr in exprs:
        result = query(url, expr)
        # The API is not running here: its panels evaluate (the syntax is checked) but hold no data.
        if "kilowatch_http" not in expr:
            assert result, f"{title}: {expr} returned nothing"
