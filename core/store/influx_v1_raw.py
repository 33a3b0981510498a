"""Aggregates of InfluxDB v1 raw points: per-day sums by series, and quarter-hour grid imports.

What the rollup documents are recomputed from (``core.store.influx_rollups``), and what
``InfluxV1Store`` reads for days no rollup holds (recent, partial, or in another zone).
"""

from __future__ import annotations

from collections.abc import Sequence

from core.store import line_protocol as lp
from core.store.base import MEASUREMENT
from core.store.daily import (
    DEFAULT_TIMEZONE,
    GAS_CATEGORY_VALUES,
    NETTING_INTERVAL_S,
    DayEnergy,
    MeterSum,
    QuarterSum,
    day_rows,
    import_from_quarters,
    quarter_rows,
    sum_for,
)
from core.store.influx_docs import site_conditions
from core.store.influx_rollups import RawDay
from core.store.influx_v1_http import InfluxV1Connection
from core.store.influxql import influxql_ident, influxql_string, time_clause


class InfluxV1RawReads(InfluxV1Connection):
    """Raw-point aggregates over InfluxQL, for chosen sites (None: every site)."""

    def raw_day_rows(self, start: int, end: int, sites: Sequence[str] | None, tz: str = DEFAULT_TIMEZONE) -> list[RawDay]:
        """Per series and local day of ``tz``: energy sum, reading count, smallest energy."""
        if end <= start:
            return []
        # InfluxDB labels each bucket with its start, local midnight under tz(), even when
        # the WHERE clause cuts the first day short.
        statements = [
            f'SELECT SUM("energy"), COUNT("energy"), MIN("energy") FROM {influxql_ident(MEASUREMENT)} '
            f"WHERE {time_clause(start, end)}{c} "
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
            f'SELECT SUM("energy") FROM {influxql_ident(MEASUREMENT)} WHERE {time_clause(start, end)}{c}{gas} '
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
