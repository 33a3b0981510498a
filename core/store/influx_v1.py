"""The InfluxDB v1 HTTP API backend (InfluxDB 1.x, and the v1 endpoints of 2.x and 3.x)."""

from __future__ import annotations

import json
import logging
import threading
import time
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

import httpx

from core.calendar import day_of, home_days_match, whole_home_days
from core.domain import EnergyPoint
from core.settings import StoreSettings
from core.store import line_protocol as lp
from core.store.base import MEASUREMENT, StoreRejected, StoreUnavailable
from core.store.daily import (
    DEFAULT_TIMEZONE,
    GAS_CATEGORY_VALUES,
    NETTING_INTERVAL_S,
    DayEnergy,
    MeterSum,
    QuarterSum,
    SegmentEnergy,
    day_rows,
    import_from_quarters,
    quarter_rows,
    segment_rows,
    sum_for,
)
from core.store.influx_docs import (
    ENERGY_FIELDS,
    IMPORT_FIELDS,
    dirty_cutoff,
    marker_lines,
    sealed_end,
    site_conditions,
)
from core.store.influx_http import bodies, failure, redacted
from core.store.influx_rollups import RawDay, Rollups
from core.store.segment_plan import imports_via_days, plan_segments, segments_via_days

__all__ = ["InfluxV1Store", "influxql_string", "influxql_ident"]

log = logging.getLogger(__name__)

#: Rows per chunk of a query response; a server with max-row-limit set would
#: truncate an unchunked answer, a chunked one is complete at any size.
QUERY_CHUNK_ROWS = 10000
# InfluxDB stores nanoseconds in an int64: roughly years 1677 to 2262.
_MIN_S = -9_223_372_036
_MAX_S = 9_223_372_036


def influxql_string(value: str) -> str:
    """A single-quoted InfluxQL string literal holding exactly ``value``."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"'{escaped}'"


def influxql_ident(name: str) -> str:
    """A double-quoted InfluxQL identifier."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _time_clause(start: int, end: int, *, end_inclusive: bool = False) -> str:
    lo, hi = max(int(start), _MIN_S), min(int(end), _MAX_S)
    return f"time >= {lo}s AND time {'<=' if end_inclusive else '<'} {hi}s"


class InfluxV1Store:
    """``SeriesStore`` over InfluxDB's v1 HTTP API (line protocol writes, InfluxQL reads).

    A point's series is (site, meter, category): re-tagging a meter starts a new
    series, so a meter moved to another site keeps its old points under the old tags.

    Daily aggregates in Asia/Shanghai read sealed days (before yesterday) from rollup
    documents kept beside the raw points (``core.store.influx_rollups``), recent days and
    partial edge days from raw points; other zones read raw points.
    """

    def __init__(self, settings: StoreSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.database = settings.database
        self.where = redacted(settings.url)
        headers: dict[str, str] = {}
        auth: httpx.BasicAuth | None = None
        if settings.token is not None:
            headers["Authorization"] = f"Token {settings.token.get_secret_value()}"
        elif settings.username:
            # Basic auth rather than u=/p= query parameters: URLs end up in logs
            # and exception messages, headers do not.
            password = settings.password.get_secret_value() if settings.password else ""
            auth = httpx.BasicAuth(settings.username, password)
        self._http = httpx.Client(
            base_url=settings.url.rstrip("/"),
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(settings.timeout_s),
            transport=transport,
        )
        self._db_lock = threading.Lock()
        self._db_ready = False
        self.rollups = Rollups(self)

    # -- HTTP ---------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.TimeoutException as exc:
            raise StoreUnavailable(f"InfluxDB at {self.where} timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise StoreUnavailable(f"InfluxDB at {self.where} unreachable: {exc}") from exc

    def _check(self, response: httpx.Response, action: str) -> None:
        if response.is_success:
            return
        detail = _error_text(response)
        message = f"InfluxDB {action} at {self.where} failed with HTTP {response.status_code}: {detail}"
        raise failure(response.status_code, message, detail)

    def _ensure_database(self) -> None:
        with self._db_lock:
            if self._db_ready:
                return
            q = f"CREATE DATABASE {influxql_ident(self.database)}"
            response = self._request("POST", "/query", data={"q": q})
            if response.status_code >= 500:
                self._check(response, "CREATE DATABASE")
            if not response.is_success or '"error"' in response.text:
                # 2.x and 3.x map databases to buckets and refuse CREATE DATABASE;
                # 1.x refuses it to non-admin users. The database may well exist:
                # the write will say if it does not.
                log.info("CREATE DATABASE %s refused (HTTP %s); assuming it exists", self.database, response.status_code)
            self._db_ready = True

    def _query(self, q: str) -> Iterator[dict]:
        """Every series of every chunk of the answer to one InfluxQL statement."""
        for _statement, series in self._series(q):
            yield series

    def query_many(self, statements: Sequence[str]) -> list[list[dict]]:
        """The series of each statement's answer, in order; statements go in one request."""
        answers: list[list[dict]] = [[] for _ in statements]
        if statements:
            for statement, series in self._series(";\n".join(statements)):
                answers[statement].append(series)
        return answers

    def _series(self, q: str) -> Iterator[tuple[int, dict]]:
        """(statement index, series) of the answer to ``q``, document by document of its chunks."""
        params = {"db": self.database, "epoch": "s", "chunked": "true", "chunk_size": str(QUERY_CHUNK_ROWS)}
        response = self._request("POST", "/query", params=params, data={"q": q})
        self._check(response, "query")
        for document in _json_documents(response.text):
            if "error" in document:
                raise StoreRejected(f"InfluxDB query at {self.where} failed: {document['error']}")
            for result in document.get("results", []):
                error = result.get("error")
                if error is not None:
                    if str(error).startswith("database not found"):
                        return  # nothing written yet: empty answers, not a failure
                    raise StoreRejected(f"InfluxDB query at {self.where} failed: {error}")
                statement = int(result.get("statement_id", 0))
                for series in result.get("series", []):
                    yield statement, series

    def write_lines(self, lines: Sequence[str]) -> None:
        """Line protocol (precision: seconds) in bodies of at most ``WRITE_CHUNK_LINES``."""
        if not lines:
            return
        self._ensure_database()
        for body in bodies(lines):
            self._write_body(body)

    def all_sites(self) -> list[str]:
        """Every site that has raw points."""
        q = f"SHOW TAG VALUES FROM {influxql_ident(MEASUREMENT)} WITH KEY = {influxql_ident(lp.TAG_SITE)}"
        return sorted({str(row[1]) for series in self._query(q) for row in series.get("values", [])})

    # -- SeriesStore --------------------------------------------------------

    def write(self, points: Sequence[EnergyPoint]) -> None:
        if not points:
            return
        lines = lp.encode_all(points)
        self._ensure_database()
        now = time.time()
        cutoff, stamp = dirty_cutoff(now), int(now)
        # One comparison per point; only a point before today (a late one, a replay, a
        # backfill) pays for its day. The markers are written first, in their own request:
        # a point a reader can see always has its marker already, and the markers (stamped
        # now, so in another shard than old points) never slow the points' own request.
        # A request that times out here may still land later: ingest.reconcile allows for it.
        late = {(p.site_id, day_of(p.ts)) for p in points if p.ts < cutoff}
        if late:
            for body in bodies(marker_lines(late, stamp)):
                self._write_body(body)
        for body in bodies(lines):
            self._write_body(body)

    def _write_body(self, body: bytes) -> None:
        params = {"db": self.database, "precision": "s"}
        response = self._request("POST", "/write", params=params, content=body)
        if response.status_code == 404 and "database not found" in response.text:
            # Dropped since we created it (or never created): create and try once more.
            with self._db_lock:
                self._db_ready = False
            self._ensure_database()
            response = self._request("POST", "/write", params=params, content=body)
        self._check(response, "write")

    def points(
        self,
        *,
        start: int,
        end: int,
        site_id: str | None = None,
        meter_id: str | None = None,
    ) -> list[EnergyPoint]:
        if end <= start:
            return []
        where = _time_clause(start, end) + _tag_filters(site=site_id, meter=meter_id)
        q = f'SELECT "register", "energy" FROM {influxql_ident(MEASUREMENT)} WHERE {where} GROUP BY "site", "meter", "category"'
        result = [point for series in self._query(q) for point in _series_points(series)]
        result.sort(key=lambda p: (p.meter_id, p.ts))
        return result

    def energy_by_meter(self, *, site_id: str, start: int, end: int) -> dict[str, float]:
        if end <= start:
            return {}
        where = _time_clause(start, end) + _tag_filters(site=site_id)
        q = f'SELECT SUM("energy") FROM {influxql_ident(MEASUREMENT)} WHERE {where} GROUP BY "meter"'
        totals: dict[str, float] = {}
        for series in self._query(q):
            meter = series.get("tags", {}).get(lp.TAG_METER, "")
            for _ts, total in series.get("values", []):
                if total is not None:
                    totals[meter] = totals.get(meter, 0.0) + float(total)
        return totals

    def energy_by_day(self, *, start: int, end: int, site_id: str | None = None, tz: str = DEFAULT_TIMEZONE) -> list[DayEnergy]:
        if end <= start:
            return []
        sites = None if site_id is None else [site_id]
        if not home_days_match(tz, start, end):
            return self._raw_days(start, end, sites, tz)
        lo, hi = _sealed_days(start, end)
        if lo >= hi:
            return self._raw_days(start, end, sites, tz)
        _months, docs = self.rollups.read(sites, [(lo, hi)], months=False, fields=ENERGY_FIELDS)
        rows = [
            DayEnergy(s, meter, e.category, day, e.energy, e.readings)
            for (s, day), doc in docs.items()
            for meter, e in doc.meters.items()
        ]
        for a, b in ((start, lo), (hi, end)):
            if a < b:
                rows += self._raw_days(a, b, sites, tz)
        return sorted(rows)

    def grid_import_by_day(
        self, *, start: int, end: int, site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
    ) -> dict[tuple[str, int], float]:
        if end <= start or not site_ids:
            return {}
        if not home_days_match(tz, start, end):
            return self.raw_imports(start, end, site_ids, tz)
        lo, hi = _sealed_days(start, end)
        if lo >= hi:
            return self.raw_imports(start, end, site_ids, tz)
        _months, docs = self.rollups.read(list(site_ids), [(lo, hi)], months=False, fields=IMPORT_FIELDS)
        result = {key: doc.grid_import for key, doc in docs.items() if doc.grid_import is not None}
        for a, b in ((start, lo), (hi, end)):
            if a < b:
                result.update(self.raw_imports(a, b, site_ids, tz))
        return result

    def energy_by_segment(
        self, *, bounds: Sequence[int], site_ids: Sequence[str] | None = None, tz: str = DEFAULT_TIMEZONE
    ) -> list[SegmentEnergy]:
        sites = None if site_ids is None else list(site_ids)
        if len(bounds) < 2 or sites == []:
            return []
        if not home_days_match(tz, bounds[0], bounds[-1]):
            return segments_via_days(lambda lo, hi: self._raw_days(lo, hi, sites, tz), bounds, tz)
        sealed, raw_whole, partial = _split_plan(bounds, tz)
        folded: dict[tuple[str, str, int], MeterSum] = {}

        def fold(site: str, meter: str, i: int, category: str, energy: float, readings: int, busiest: int) -> None:
            sum_for(folded, (site, meter, i), category).add(energy, readings, busiest)

        if sealed:
            segment_of = _segment_lookup(sealed)
            months, days = self.rollups.read(sites, [(lo, hi) for _i, lo, hi in sealed], months=True, fields=ENERGY_FIELDS)
            for docs in (months, days):
                for (site, ts), doc in docs.items():
                    i = segment_of(ts)
                    for meter, e in doc.meters.items():
                        fold(site, meter, i, e.category, e.energy, e.readings, e.busiest_day)
        for i, lo, hi in raw_whole:
            for row in self._raw_days(lo, hi, sites, tz):
                fold(row.site_id, row.meter_id, i, row.category, row.energy, row.readings, row.readings)
        for i, lo, hi in partial:
            for row in self._raw_days(lo, hi, sites, tz):
                fold(row.site_id, row.meter_id, i, row.category, row.energy, row.readings, 0)
        return segment_rows(folded)

    def grid_import_by_segment(
        self, *, bounds: Sequence[int], site_ids: Sequence[str], tz: str = DEFAULT_TIMEZONE
    ) -> dict[tuple[str, int], float]:
        if len(bounds) < 2 or not site_ids:
            return {}
        if not home_days_match(tz, bounds[0], bounds[-1]):
            return imports_via_days(lambda lo, hi: self.raw_imports(lo, hi, site_ids, tz), bounds, tz)
        sealed, raw_whole, partial = _split_plan(bounds, tz)
        result: dict[tuple[str, int], float] = {}
        if sealed:
            segment_of = _segment_lookup(sealed)
            months, days = self.rollups.read(
                list(site_ids), [(lo, hi) for _i, lo, hi in sealed], months=True, fields=IMPORT_FIELDS
            )
            for docs in (months, days):
                for (site, ts), doc in docs.items():
                    if doc.grid_import is not None:
                        key = (site, segment_of(ts))
                        result[key] = result.get(key, 0.0) + doc.grid_import
        for i, lo, hi in sorted(raw_whole + partial):
            for (site, _day), kwh in self.raw_imports(lo, hi, site_ids, tz).items():
                result[(site, i)] = result.get((site, i), 0.0) + kwh
        return result

    def keep_rollups(self, *, start: int, end: int, site_ids: Sequence[str] | None = None) -> None:
        """Recompute the dirty and missing rollups of the sealed days in [start, end), as a reader would.

        Readers do this themselves; a keeper loop calling it (e.g. every minute over the
        last month) takes the recompute of late data off the first carbon request.
        """
        lo, hi = _sealed_days(start, end)
        if lo < hi:
            self.rollups.read(None if site_ids is None else list(site_ids), [(lo, hi)], months=True, fields=IMPORT_FIELDS)

    # -- raw aggregates (also what rollups are recomputed from) ------------------

    def raw_day_rows(self, start: int, end: int, sites: Sequence[str] | None, tz: str = DEFAULT_TIMEZONE) -> list[RawDay]:
        """Per series and local day of ``tz``: energy sum, reading count, smallest energy."""
        if end <= start:
            return []
        # InfluxDB labels each bucket with its start, local midnight under tz(), even when
        # the WHERE clause cuts the first day short.
        statements = [
            f'SELECT SUM("energy"), COUNT("energy"), MIN("energy") FROM {influxql_ident(MEASUREMENT)} '
            f"WHERE {_time_clause(start, end)}{c} "
            f'GROUP BY time(1d), "site", "meter", "category" fill(none) tz({influxql_string(tz)})'
            for c in site_conditions(sites)
        ]
        rows: list[RawDay] = []
        for answer in self.query_many(statements):
            for series in answer:
                tags = series.get("tags") or {}
                site, meter, category = tags.get(lp.TAG_SITE, ""), tags.get(lp.TAG_METER, ""), tags.get(lp.TAG_CATEGORY, "")
                for day, total, count, smallest in series.get("values", []):
                    if count:
                        rows.append((site, meter, category, int(day), float(total or 0.0), int(count), float(smallest or 0.0)))
        return rows

    def _raw_days(self, start: int, end: int, sites: Sequence[str] | None, tz: str) -> list[DayEnergy]:
        rows: dict[tuple[str, str, int], MeterSum] = {}
        for site, meter, category, day, energy, readings, _smallest in self.raw_day_rows(start, end, sites, tz):
            # A re-tagged meter has several series: its days add up.
            sum_for(rows, (site, meter, day), category).add(energy, readings)
        return day_rows(rows)

    def raw_imports(self, start: int, end: int, sites: Sequence[str], tz: str = DEFAULT_TIMEZONE) -> dict[tuple[str, int], float]:
        """``grid_import_by_day`` from raw points: quarter-hour sums per site and category, netted here."""
        if end <= start or not sites:
            return {}
        gas = "".join(f" AND {influxql_ident(lp.TAG_CATEGORY)} != {influxql_string(c)}" for c in sorted(GAS_CATEGORY_VALUES))
        statements = [
            f'SELECT SUM("energy") FROM {influxql_ident(MEASUREMENT)} WHERE {_time_clause(start, end)}{c}{gas} '
            f'GROUP BY time({NETTING_INTERVAL_S}s), "site", "category" fill(none)'
            for c in site_conditions(sites)
        ]
        quarters: dict[tuple[str, int], QuarterSum] = {}
        for answer in self.query_many(statements):
            for series in answer:
                tags = series.get("tags") or {}
                category = tags.get(lp.TAG_CATEGORY, "")
                for bucket, total in series.get("values", []):
                    if total is not None:
                        quarters.setdefault((tags.get(lp.TAG_SITE, ""), int(bucket)), QuarterSum()).add(category, float(total))
        return import_from_quarters(quarter_rows(quarters), tz)

    def latest(self, *, site_id: str | None = None) -> dict[str, EnergyPoint]:
        # A raw SELECT with ORDER BY time DESC LIMIT 1 per series keeps both fields
        # of the same point; LAST() on two fields would lose the point's time.
        where = _time_clause(_MIN_S, _MAX_S, end_inclusive=True) + _tag_filters(site=site_id)
        q = (
            f'SELECT "register", "energy" FROM {influxql_ident(MEASUREMENT)} WHERE {where} '
            'GROUP BY "site", "meter", "category" ORDER BY time DESC LIMIT 1'
        )
        newest: dict[str, EnergyPoint] = {}
        for series in self._query(q):
            for point in _series_points(series):
                # A re-tagged meter has several series: keep the newest of them.
                if point.meter_id not in newest or point.ts > newest[point.meter_id].ts:
                    newest[point.meter_id] = point
        return newest

    def ping(self) -> None:
        self._check(self._request("GET", "/ping"), "ping")

    def close(self) -> None:
        self._http.close()


def _sealed_days(start: int, end: int) -> tuple[int, int]:
    """[first, last) local midnights of the whole days inside [start, end) that are sealed."""
    first, last = whole_home_days(start, end)
    return first, min(last, sealed_end())


def _split_plan(bounds: Sequence[int], tz: str) -> tuple[list, list, list]:
    """Segment pieces: (i, lo, hi) of sealed whole days, of recent whole days, and of partial days."""
    plan = plan_segments(bounds, ZoneInfo(tz))
    limit = sealed_end()
    sealed, recent = [], []
    for i, lo, hi in plan.whole:
        cut = min(hi, max(lo, limit))
        if lo < cut:
            sealed.append((i, lo, cut))
        if cut < hi:
            recent.append((i, cut, hi))
    return sealed, recent, list(plan.partial)


def _segment_lookup(parts: Sequence[tuple[int, int, int]]):
    """The segment of a rollup timestamp inside one of ``parts`` (i, lo, hi)."""
    starts = [lo for _i, lo, _hi in parts]

    def segment_of(ts: int) -> int:
        return parts[bisect_right(starts, ts) - 1][0]

    return segment_of


def _tag_filters(**tags: str | None) -> str:
    return "".join(f" AND {influxql_ident(k)} = {influxql_string(v)}" for k, v in tags.items() if v is not None)


def _series_points(series: dict) -> Iterator[EnergyPoint]:
    tags = series.get("tags") or {}
    columns = series.get("columns", [])
    i_time, i_register, i_energy = columns.index("time"), columns.index("register"), columns.index("energy")
    for row in series.get("values", []):
        register, energy = row[i_register], row[i_energy]
        if register is None or energy is None:
            continue  # written by something else with only one of our fields
        yield EnergyPoint(
            site_id=tags.get(lp.TAG_SITE, ""),
            meter_id=tags.get(lp.TAG_METER, ""),
            category=tags.get(lp.TAG_CATEGORY, ""),
            ts=int(row[i_time]),
            register=float(register),
            energy=float(energy),
        )


def _json_documents(text: str) -> Iterator[dict]:
    """The JSON objects of a (possibly chunked, newline-separated) query answer."""
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        try:
            document, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise StoreUnavailable(f"InfluxDB sent a malformed answer: {exc.msg}") from exc
        yield document


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        if isinstance(body, dict) and "error" in body:
            return str(body["error"])[:500]
    except ValueError:
        pass
    return response.text[:500] or response.reason_phrase
