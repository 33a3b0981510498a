"""InfluxQL, the query language of InfluxDB's v1 API: literals, identifiers, the time and tag
clauses of a statement, and the answers (chunked JSON documents, series of points)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from core.domain import EnergyPoint
from core.store import line_protocol as lp
from core.store.base import StoreUnavailable

__all__ = ["MAX_S", "MIN_S", "influxql_ident", "influxql_string", "json_documents", "series_points", "tag_filters", "time_clause"]

# InfluxDB stores nanoseconds in an int64: roughly years 1677 to 2262.
MIN_S = -9_223_372_036
MAX_S = 9_223_372_036


def influxql_string(value: str) -> str:
    """A single-quoted InfluxQL string literal holding exactly ``value``."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"'{escaped}'"


def influxql_ident(name: str) -> str:
    """A double-quoted InfluxQL identifier."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def time_clause(start: int, end: int, *, end_inclusive: bool = False) -> str:
    """``time`` from ``start`` to ``end`` (seconds, clamped to what InfluxDB can store)."""
    lo, hi = max(int(start), MIN_S), min(int(end), MAX_S)
    return f"time >= {lo}s AND time {'<=' if end_inclusive else '<'} {hi}s"


def tag_filters(**tags: str | None) -> str:
    """`` AND tag = 'value'`` for each tag given (None: any value)."""
    return "".join(f" AND {influxql_ident(k)} = {influxql_string(v)}" for k, v in tags.items() if v is not None)


def series_points(series: dict) -> Iterator[EnergyPoint]:
    """The points of one series of an answer to ``SELECT "register", "energy"``, grouped by site, meter and category."""
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


def json_documents(text: str) -> Iterator[dict]:
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
