"""The InfluxDB 2.x backend's carbon aggregates, tested at the HTTP boundary.

No InfluxDB 2.x runs on the build machines (only 1.6.7, which has no Flux), so these tests
stand a small HTTP server where 2.x would be: it records the Flux that ``InfluxV2Store``
sends and answers in the annotated-CSV shape 2.x gives for it. The same methods run
against a real 2.x in ``test_contract*.py`` when ``KILOWATCH_TEST_INFLUX2_*`` is set.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from core.settings import StoreSettings
from core.store.daily import DayEnergy
from core.store.influx_v2 import SITES_PER_QUERY, InfluxV2Store

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: 2025-01-01 00:00 and 2025-01-03 00:00 in Shanghai.
JAN1 = int(datetime(2025, 1, 1, tzinfo=SHANGHAI).timestamp())
JAN2 = JAN1 + 86_400
JAN3 = JAN2 + 86_400


def _rfc3339(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Table:
    """One table of a Flux answer: its result name, typed columns and rows."""

    def __init__(self, result: str, columns: dict[str, str], rows: Sequence[dict]) -> None:
        self.result, self.columns, self.rows = result, columns, rows

    def csv(self, number: int, start: int, stop: int) -> str:
        names = ["_start", "_stop", *self.columns]
        types = ["dateTime:RFC3339", "dateTime:RFC3339", *self.columns.values()]
        group = ["true", "true", *("false" if c in ("_time", "_value") else "true" for c in self.columns)]
        lines = [
            ",".join(["#datatype", "string", "long", *types]),
            ",".join(["#group", "false", "false", *group]),
            ",".join(["#default", self.result, "", *([""] * len(names))]),
            ",".join(["", "result", "table", *names]),
        ]
        for row in self.rows:
            cells = [_rfc3339(start), _rfc3339(stop)]
            cells += [_rfc3339(row[c]) if t.startswith("dateTime") else str(row[c]) for c, t in self.columns.items()]
            lines.append(",".join(["", "", str(number), *cells]))
        return "\r\n".join(lines) + "\r\n"


class FakeInflux2:
    """Where InfluxDB 2.x would be: records each Flux query and answers with the next prepared tables."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.answers: list[list[Table]] = []
        self.window = (JAN1, JAN3)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.queries.append(body["query"])
                tables = fake.answers.pop(0) if fake.answers else []
                text = "\r\n".join(t.csv(i, *fake.window) for i, t in enumerate(tables)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/csv; charset=utf-8")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeInflux2]:
    server = FakeInflux2()
    yield server
    server.close()


@pytest.fixture
def store(fake: FakeInflux2) -> Iterator[InfluxV2Store]:
    opened = InfluxV2Store(StoreSettings(backend="influx2", url=fake.url, token=SecretStr("t"), org="kw", bucket="kwb"))
    yield opened
    opened.close()


DAY_COLUMNS = {"site": "string", "meter": "string", "category": "string", "_time": "dateTime:RFC3339"}


def _day_tables(rows: Sequence[tuple[str, str, str, int, float, int]]) -> list[Table]:
    """The sum and count tables 2.x answers for ``daily_energy``: one pair per series."""
    tables = []
    for site, meter, category, ts, energy, readings in rows:
        key = {"site": site, "meter": meter, "category": category, "_time": ts}
        tables.append(Table("energy", {**DAY_COLUMNS, "_value": "double"}, [{**key, "_value": energy}]))
        tables.append(Table("readings", {**DAY_COLUMNS, "_value": "long"}, [{**key, "_value": readings}]))
    return tables


def test_daily_energy_is_summed_and_counted_on_the_server_per_shanghai_day(fake, store):
    store.energy_by_day(start=JAN1, end=JAN3, site_id="s1")
    [query] = fake.queries
    assert query.startswith('import "timezone"\n')
    for fn in ("sum", "count"):
        assert (
            f'aggregateWindow(fn: {fn}, every: 1d, location: timezone.location(name: "Asia/Shanghai"), '
            'createEmpty: false, timeSrc: "_start")'
        ) in query
    assert 'r.site == "s1"' in query
    assert f"range(start: {JAN1}, stop: {JAN3})" in query
    assert "pivot" not in query  # no raw points come back


def test_daily_energy_asks_in_the_zone_it_is_given(fake, store):
    store.energy_by_day(start=JAN1, end=JAN3, tz="Europe/Berlin")
    assert 'timezone.location(name: "Europe/Berlin")' in fake.queries[0]
    assert "r.site ==" not in fake.queries[0]  # every site


def test_daily_rows_are_keyed_by_local_midnight_and_retagged_meters_add_up(fake, store):
    # The first window starts at the range start (09:00), not at midnight.
    start = JAN1 + 9 * 3600
    fake.window = (start, JAN3)
    fake.answers.append(
        _day_tables(
            [
                ("s1", "m1", "lighting", start, 1.5, 3),
                ("s1", "m1", "lighting", JAN2, 2.0, 96),
                ("s1", "m1", "hvac", JAN2, 0.5, 4),  # the same meter under a new category
                ("s1", "m2", "pv", JAN2, 7.25, 96),
            ]
        )
    )
    rows = store.energy_by_day(start=start, end=JAN3, site_id="s1")
    assert rows == [
        DayEnergy("s1", "m1", "lighting", JAN1, 1.5, 3),
        DayEnergy("s1", "m1", "lighting", JAN2, 2.5, 100),
        DayEnergy("s1", "m2", "pv", JAN2, 7.25, 96),
    ]


QUARTER_COLUMNS = {"site": "string", "category": "string", "_time": "dateTime:RFC3339", "_value": "double"}


def test_grid_import_nets_quarter_hour_sums_from_the_server(fake, store):
    q1, q2 = JAN1 + 900, JAN1 + 1800
    fake.answers.append(
        [
            Table(
                "_result",
                QUARTER_COLUMNS,
                [
                    {"site": "s1", "category": "lighting", "_time": q1, "_value": 3.0},
                    {"site": "s1", "category": "lighting", "_time": q2, "_value": 1.0},
                ],
            ),
            Table("_result", QUARTER_COLUMNS, [{"site": "s1", "category": "hvac", "_time": q1, "_value": 2.0}]),
            Table(
                "_result",
                QUARTER_COLUMNS,
                [
                    {"site": "s1", "category": "pv", "_time": q1, "_value": 4.0},
                    {"site": "s1", "category": "pv", "_time": q2, "_value": 5.0},
                ],
            ),
        ]
    )
    imports = store.grid_import_by_day(start=JAN1, end=JAN2, site_ids=["s1"])
    # Quarter 1: 5 consumed, 4 generated -> 1 imported; quarter 2: surplus, nothing imported.
    assert imports == {("s1", JAN1): pytest.approx(1.0)}
    [query] = fake.queries
    assert 'aggregateWindow(every: 900s, fn: sum, createEmpty: false, timeSrc: "_start")' in query
    assert 'r.category != "gas"' in query
    assert 'group(columns: ["site", "category"])' in query


def test_grid_import_for_many_sites_takes_one_query_per_chunk(fake, store):
    sites = [f"site-{i:04d}" for i in range(2 * SITES_PER_QUERY + 1)]
    store.grid_import_by_day(start=JAN1, end=JAN2, site_ids=sites)
    assert len(fake.queries) == 3
    assert all(sum(q.count(f'r.site == "{s}"') for q in fake.queries) == 1 for s in sites)


def test_a_site_name_cannot_end_the_flux_string(fake, store):
    store.energy_by_day(start=JAN1, end=JAN2, site_id='x") or true or ("')
    assert 'r.site == "x\\") or true or (\\""' in fake.queries[0]
