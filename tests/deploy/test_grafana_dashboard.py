"""The shipped Grafana dashboard works: its InfluxQL runs on a real InfluxDB 1.x, its PromQL names real metrics.

Grafana cannot run here, so each query is taken from the dashboard JSON, its variables
replaced as Grafana would replace them, and run against the InfluxDB the test fixtures
start, after points were written through kilowatch's own store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.domain import EnergyPoint
from core.settings import StoreSettings
from core.store.influx_v1 import InfluxV1Store

DASHBOARD = json.loads((Path(__file__).resolve().parents[2] / "deploy/grafana/dashboards/kilowatch.json").read_text())
HOUR = 3600
START = 1_780_272_000  # 2026-06-01T00:00:00Z
HOURS = 48
#: (site, meter, category, kWh or m3 per hour)
METERS = [
    ("site-a", "a-corridor", "corridor_lighting", 2.0),
    ("site-a", "a-hvac", "public_hvac", 10.0),
    ("site-a", "a-pv", "pv", 4.0),
    ("site-a", "a-gas", "gas", 0.5),
    ("site-b", "b-pump", "water_pump", 3.0),
]
SITES = sorted({m[0] for m in METERS})
CATEGORIES = sorted({m[2] for m in METERS})


def _panels(panels: list[dict]) -> Iterator[dict]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _targets(kind: str) -> list[tuple[str, dict]]:
    return [
        (p["title"], t)
        for p in _panels(DASHBOARD["panels"])
        for t in p.get("targets", [])
        if t.get("datasource", p.get("datasource", {})).get("type") == kind
    ]


INFLUXQL = [(title, t["query"]) for title, t in _targets("influxdb")]
VARIABLE_QUERIES = [(v["name"], v["query"]) for v in DASHBOARD["templating"]["list"] if v["datasource"]["type"] == "influxdb"]


def _regex(values: list[str]) -> str:
    """A multi-value variable in a regex, as Grafana writes it for InfluxDB: escaped and alternated."""
    escaped = [re.sub(r"([\\^$.|?*+()\[\]{}-])", r"\\\1", v) for v in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def substitute(
    query: str, *, sites: list[str], categories: list[str] = CATEGORIES, start: int = START, end: int = START + HOURS * HOUR
) -> str:
    out = (
        query.replace("$timeFilter", f"time >= {start * 1000}ms and time <= {end * 1000}ms")
        .replace("$__interval", "1h")
        .replace("$site", _regex(sites))
        .replace("$category", _regex(categories))
    )
    left = re.findall(r"\$(?!/)\w+", out)  # a regex's closing $/ is not a variable
    assert not left, f"Grafana variables {left} are left in: {out}"
    return out


@pytest.fixture(scope="module")
def influx(influxdb) -> Iterator[tuple[str, str]]:
    """The server URL and a database holding two days of hourly points of every meter, written by the store."""
    database = influxdb.new_database()
    store = InfluxV1Store(StoreSettings(backend="influx1", url=influxdb.url, database=database))
    points = [
        EnergyPoint(site, meter, category, START + h * HOUR, per_hour * (h + 1), per_hour if h else 0.0)
        for site, meter, category, per_hour in METERS
        for h in range(HOURS)
    ]
    store.write(points)
    yield influxdb.url, database
    store.close()


def run(influx: tuple[str, str], query: str) -> list[dict]:
    """The series of one statement, as Grafana's InfluxDB datasource asks for them (GET /query, epoch ms)."""
    url, database = influx
    response = httpx.get(f"{url}/query", params={"db": database, "q": query, "epoch": "ms"}, timeout=10)
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert "error" not in result, f"{result['error']}\n{query}"
    return result.get("series", [])


def test_the_dashboard_has_influxql_panels_for_energy_and_ingest_health():
    titles = {title for title, _ in INFLUXQL}
    assert {"Electricity by category", "Electricity by site", "Readings stored", "Meters reporting"} <= titles
    assert len(INFLUXQL) >= 8


@pytest.mark.parametrize("sites", [SITES, ["site-a"]], ids=["all-sites", "one-site"])
@pytest.mark.parametrize(("title", "query"), INFLUXQL, ids=[f"{t}#{i}" for i, (t, _) in enumerate(INFLUXQL)])
def test_every_dashboard_query_runs_and_returns_data(influx, title, query, sites):
    series = run(influx, substitute(query, sites=sites))
    values = [row[1] for s in series for row in s["values"] if row[1] is not None]
    assert values and any(v > 0 for v in values), f"{title}: no data"


@pytest.mark.parametrize(("name", "query"), VARIABLE_QUERIES)
def test_every_variable_query_lists_what_was_written(influx, name, query):
    series = run(influx, substitute(query, sites=SITES))
    listed = sorted(value for s in series for _, value in s["values"])
    assert listed == {"site": SITES, "category": CATEGORIES}[name]


def _query(title: str) -> str:
    [query] = [q for t, q in INFLUXQL if t == title]
    return query


def test_electricity_by_category_sums_what_the_meters_used_and_leaves_out_pv_and_gas(influx):
    series = run(influx, substitute(_query("Electricity by category, whole range"), sites=SITES))
    got = {s["tags"]["category"]: s["values"][0][1] for s in series}
    expected = {category: per_hour * (HOURS - 1) for _, _, category, per_hour in METERS if category not in ("pv", "gas")}
    assert got == pytest.approx(expected)


def test_electricity_by_site_follows_the_site_variable(influx):
    series = run(influx, substitute(_query("Electricity by site, whole range"), sites=["site-b"]))
    assert {s["tags"]["site"]: s["values"][0][1] for s in series} == pytest.approx({"site-b": 3.0 * (HOURS - 1)})


def test_meters_reporting_counts_every_meter_each_hour(influx):
    series = run(influx, substitute(_query("Meters reporting"), sites=SITES, end=START + HOURS * HOUR - 1))
    counts = {row[1] for s in series for row in s["values"]}
    assert counts == {len(METERS)}


def test_last_reading_per_site_is_the_newest_point(influx):
    series = run(influx, substitute(_query("Last reading per site"), sites=SITES))
    newest_ms = (START + (HOURS - 1) * HOUR) * 1000
    assert {s["tags"]["site"]: s["values"][0][0] for s in series} == {site: newest_ms for site in SITES}


# --- The Prometheus panels name metrics the services export --------------------------------


def _exported_names() -> set[str]:
    """Every sample name the ingest, detect and API registries can export (labelled ones included)."""
    from api.metrics import ApiMetrics
    from ingest.metrics import IngestMetrics
    from kilowatch.detect_metrics import DetectMetrics

    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}
    names: set[str] = set()
    for registry in (IngestMetrics().registry, DetectMetrics().registry, ApiMetrics().registry):
        for family in registry.collect():
            names |= {family.name + suffix for suffix in suffixes.get(family.type, [""])}
            names |= {s.name for s in family.samples}
    return names


PROMQL = [(title, t["expr"]) for title, t in _targets("prometheus")]


@pytest.mark.parametrize(("title", "expr"), PROMQL, ids=[f"{t}#{i}" for i, (t, _) in enumerate(PROMQL)])
def test_every_prometheus_panel_names_exported_metrics(title, expr):
    names = set(re.findall(r"\bkilowatch_\w+", expr))
    assert names, f"{title}: no kilowatch metric in {expr}"
    missing = names - _exported_names()
    assert not missing, f"{title}: {sorted(missing)} are not exported by ingest, detect or the API"
