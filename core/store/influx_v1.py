"""The InfluxDB v1 HTTP API backend (InfluxDB 1.x, and the v1 endpoints of 2.x and 3.x)."""

from __future__ import annotations

import operator
import time
from bisect import bisect_right
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import httpx

from core.calendar import day_of, home_days_match, whole_home_days
from core.domain import EnergyPoint
from core.settings import StoreSettings
from core.store import line_protocol as lp
from core.store.base import MEASUREMENT
from core.store.daily import (
    DEFAULT_TIMEZONE,
    DayEnergy,
    MeterSum,
    SegmentEnergy,
    segment_rows,
    sum_for,
)
from core.store.influx_docs import (
    ENERGY_FIELDS,
    IMPORT_FIELDS,
    dirty_cutoff,
    marker_lines,
    sealed_end,
)
from core.store.influx_http import bodies
from core.store.influx_rollups import Rollups
from core.store.influx_v1_raw import InfluxV1RawReads
from core.store.influxql import MAX_S, MIN_S, influxql_ident, influxql_string, series_points, tag_filters, time_clause
from core.store.segment_plan import imports_via_days, plan_segments, segments_via_days

# influxql_string and influxql_ident are core.store.influxql's, named here too as before the split.
__all__ = ["InfluxV1Store", "influxql_string", "influxql_ident"]

#: Sites whose rollups one ``keep_rollups`` read recomputes at a time (a month of 100 sites of
#: 10 meters: 3,000 site-days, three chunks, built inside the recompute budget on a loaded machine).
KEEP_SITES_PER_READ = 100


class InfluxV1Store(InfluxV1RawReads):
    """``SeriesStore`` over InfluxDB's v1 HTTP API (line protocol writes, InfluxQL reads).

    A point's series is (site, meter, category): re-tagging a meter starts a new
    series, so a meter moved to another site keeps its old points under the old tags.

    Daily aggregates in Asia/Shanghai read sealed days (before yesterday) from rollup
    documents kept beside the raw points (``core.store.influx_rollups``), recent days and
    partial edge days from raw points; other zones read raw points.
    """

    def __init__(self, settings: StoreSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(settings, transport=transport)
        self.rollups = Rollups(self)

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
        late = _late_days(points, cutoff)
        if late:
            for body in bodies(marker_lines(late, stamp)):
                self._write_body(body)
        for body in bodies(lines):
            self._write_body(body)

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
        where = time_clause(start, end) + tag_filters(site=site_id, meter=meter_id)
        q = f'SELECT "register", "energy" FROM {influxql_ident(MEASUREMENT)} WHERE {where} GROUP BY "site", "meter", "category"'
        result = [point for series in self._query(q) for point in series_points(series)]
        result.sort(key=lambda p: (p.meter_id, p.ts))
        return result

    def energy_by_meter(self, *, site_id: str, start: int, end: int) -> dict[str, float]:
        if end <= start:
            return {}
        where = time_clause(start, end) + tag_filters(site=site_id)
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
        if sealed:
            self._fold_sealed(folded, sites, sealed)
        for i, lo, hi in raw_whole:
            for row in self._raw_days(lo, hi, sites, tz):
                sum_for(folded, (row.site_id, row.meter_id, i), row.category).add(row.energy, row.readings, row.readings)
        for i, lo, hi in partial:
            for row in self._raw_days(lo, hi, sites, tz):
                sum_for(folded, (row.site_id, row.meter_id, i), row.category).add(row.energy, row.readings, 0)
        return segment_rows(folded)

    def _fold_sealed(
        self, folded: dict[tuple[str, str, int], MeterSum], sites: list[str] | None, sealed: list[tuple[int, int, int]]
    ) -> None:
        """Add the rollups of the ``sealed`` pieces (i, lo, hi) to ``folded`` by (site, meter, segment i)."""
        segment_of = _segment_lookup(sealed)
        months, days = self.rollups.read(sites, [(lo, hi) for _i, lo, hi in sealed], months=True, fields=ENERGY_FIELDS)
        for docs in (months, days):
            for (site, ts), doc in docs.items():
                i = segment_of(ts)
                for meter, e in doc.meters.items():
                    sum_for(folded, (site, meter, i), e.category).add(e.energy, e.readings, e.busiest_day)

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
        if lo >= hi:
            return
        sites = sorted(set(site_ids)) if site_ids is not None else self.rollups.source.all_sites()
        # Group by group, each with its own marker read and recompute budget: after a backfill of
        # thousands of sites, one read of every site's month could never finish inside the budget,
        # and its months would be written by no one; a group's documents are kept as it ends.
        for i in range(0, len(sites), KEEP_SITES_PER_READ):
            self.rollups.read(sites[i : i + KEEP_SITES_PER_READ], [(lo, hi)], months=True, fields=IMPORT_FIELDS)

    def latest(self, *, site_id: str | None = None) -> dict[str, EnergyPoint]:
        # A raw SELECT with ORDER BY time DESC LIMIT 1 per series keeps both fields
        # of the same point; LAST() on two fields would lose the point's time.
        where = time_clause(MIN_S, MAX_S, end_inclusive=True) + tag_filters(site=site_id)
        q = (
            f'SELECT "register", "energy" FROM {influxql_ident(MEASUREMENT)} WHERE {where} '
            'GROUP BY "site", "meter", "category" ORDER BY time DESC LIMIT 1'
        )
        newest: dict[str, EnergyPoint] = {}
        for series in self._query(q):
            for point in series_points(series):
                # A re-tagged meter has several series: keep the newest of them.
                if point.meter_id not in newest or point.ts > newest[point.meter_id].ts:
                    newest[point.meter_id] = point
        return newest


def _late_days(points: Sequence[EnergyPoint], cutoff: int) -> set[tuple[str, int]]:
    """The (site, home day)s of the points before ``cutoff``."""
    first = min(map(_TS, points))
    if first >= cutoff:
        return set()
    last = max(map(_TS, points))
    if last < cutoff and day_of(first) == day_of(last):
        # All of them late and in one day (a batch of a gateway back from an outage, a
        # backfill): its sites say it all, gathered in C rather than one Python step per point.
        return {(site_id, day_of(first)) for site_id in set(map(_SITE, points))}
    return {(p.site_id, day_of(p.ts)) for p in points if p.ts < cutoff}


_TS, _SITE = operator.attrgetter("ts"), operator.attrgetter("site_id")


def _sealed_days(start: int, end: int) -> tuple[int, int]:
    """[first, last) local midnights of the whole days inside [start, end) that are sealed."""
    first, last = whole_home_days(start, end)
    return first, min(last, sealed_end())


def _split_plan(
    bounds: Sequence[int], tz: str
) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """Segment pieces: (i, lo, hi) of sealed whole days, of recent whole days, and of partial days."""
    plan = plan_segments(bounds, ZoneInfo(tz))
    limit = sealed_end()
    sealed: list[tuple[int, int, int]] = []
    recent: list[tuple[int, int, int]] = []
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
