"""The curl and Python examples of docs/api.md run against a live server on a seeded PostgreSQL database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.options import ApiOptions
from core.settings import Settings
from tests.support import free_port, wait_for

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
MARK = "# tested: tests/api/test_doc_examples.py"
#: The site id the examples name, replaced by one the seeded world has.
DOC_SITE, SEEDED_SITE = "sh-xuhui-01", "sh-a"
SINCE = "2024-06-01T00:00:00Z"


def _blocks(language: str) -> list[str]:
    found = re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.S | re.M)
    return [code for code in found if code.startswith(MARK)]


@pytest.fixture(scope="module")
def server(pg_world_per_module, tmp_path_factory) -> Iterator[tuple[str, str, object]]:
    world = pg_world_per_module
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("doc")), world.store, world.sessions, ApiOptions(run_outbox=False))
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: httpx.get(f"{url}/api/v1/ready", timeout=2).status_code == 200, timeout=30, what="uvicorn")
    try:
        yield url, world.keys["admin"], world
    finally:
        uv.should_exit = True
        thread.join(10)


def _env(url: str, key: str) -> dict[str, str]:
    return {**os.environ, "KILOWATCH_URL": url, "KILOWATCH_KEY": key}


def _api(url: str, key: str, path: str, **params) -> dict:
    response = httpx.get(f"{url}/api/v1{path}", params=params, headers={"X-API-Key": key}, timeout=60)
    response.raise_for_status()
    return response.json()


def test_the_docs_mark_one_curl_and_one_python_example():
    assert len(_blocks("sh")) == 1 and len(_blocks("python")) == 1


def test_the_curl_example_prints_sites_carbon_and_changed_alerts(server):
    url, key, _ = server
    [script] = _blocks("sh")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(DOC_SITE, SEEDED_SITE)],
        env=_env(url, key),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    sites, site_carbon, portfolio, alerts = [json.loads(line) for line in done.stdout.splitlines()]
    assert {"data", "total", "limit", "offset"} <= sites.keys() and sites["total"] == 2
    assert site_carbon["site_id"] == SEEDED_SITE and site_carbon["kwh"] > 0 and "total_kg" in site_carbon
    assert portfolio["sites_total"] == 2 and portfolio["total"]["kwh"] > 0
    expected = _api(url, key, "/alerts", updated_since=SINCE)["total"]
    assert len(alerts["data"]) == alerts["total"] == expected > 0
    stamps = [a["updated_at"] for a in alerts["data"]]
    assert stamps == sorted(stamps) and min(stamps) >= SINCE


def test_the_python_example_prints_the_totals_and_the_changed_alerts(server):
    url, key, _ = server
    [code] = _blocks("python")
    done = subprocess.run([sys.executable, "-c", code], env=_env(url, key), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    june = {"start": "2024-06-01T00:00", "end": "2024-07-01T00:00"}
    portfolio = _api(url, key, "/carbon", **june)
    assert lines[0] == f"portfolio: {portfolio['total']['total_kg']:.1f} kg CO2e, 2 sites"
    assert [line.split(":")[0] for line in lines[1:3]] == ["site bj-b", "site sh-a"]
    changed = _api(url, key, "/alerts", updated_since=SINCE, sort="updated_at")["data"]
    assert lines[3] == f"alerts: {len(changed)} changed; next sync from {changed[-1]['updated_at']}"


def test_the_python_sync_pages_through_every_changed_alert(server, monkeypatch):
    url, key, _ = server
    monkeypatch.setenv("KILOWATCH_URL", url)
    monkeypatch.setenv("KILOWATCH_KEY", key)
    [code] = _blocks("python")
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # the documented example, run as written
    expected = [a["id"] for a in _api(url, key, "/alerts", updated_since="2024-01-01T00:00:00Z", sort="updated_at")["data"]]
    for limit in (1, 2, 3):
        assert [a["id"] for a in namespace["changed_alerts"]("2024-01-01T00:00:00Z", limit=limit)] == expected
