"""Reading InfluxDB 1.x rollup documents, and recomputing from raw points the ones that are dirty or missing.

Correctness rests on three rules (the layout is in ``core.store.influx_docs``):

- a document is always recomputed from the raw points of its whole day (or from its days'
  documents for a month), never incremented, so rewriting it is idempotent and a point
  written twice counts once;
- ``InfluxV1Store.write`` writes a dirty marker for every (site, day) before today, in a
  request before the points' own; a reader recomputes the dirty and the missing documents
  of its range before using them, so it never serves a day older than a write it could see;
- a recompute deletes only the markers it read, older than ``MARKER_GRACE_S``: a marker
  written while it runs survives and the next reader recomputes that day again.
"""

from __future__ import annotations

import logging
import threading
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol

from core.calendar import DAY, month_of, next_month
from core.store import line_protocol as lp
from core.store.base import StoreRejected
from core.store.daily import GAS_CATEGORY_VALUES, GENERATION_CATEGORY_VALUES, sum_for
from core.store.influx_docs import (
    DAY_MEASUREMENT,
    DIRTY_MEASUREMENT,
    MARKER_GRACE_S,
    MONTH_MEASUREMENT,
    RECOMPUTE_BUDGET_S,
    TAG_DAY,
    Doc,
    doc_rows,
    marker_rows,
    site_conditions,
    split_months,
)

log = logging.getLogger(__name__)

#: A raw day row: (site, meter, category, day, energy, readings, smallest energy).
RawDay = tuple[str, str, str, int, float, int, float]


class RawSource(Protocol):
    """What the rollups need from the store: statements, writes, raw aggregates over chosen sites."""

    def query_many(self, statements: Sequence[str]) -> list[list[dict]]: ...
    def write_lines(self, lines: Sequence[str]) -> None: ...
    def all_sites(self) -> list[str]: ...
    def raw_day_rows(self, start: int, end: int, sites: Sequence[str] | None) -> list[RawDay]: ...
    def raw_imports(self, start: int, end: int, sites: Sequence[str]) -> dict[tuple[str, int], float]: ...


def _where(conditions: str) -> str:
    return f" WHERE {conditions.removeprefix(' AND ')}" if conditions else ""


def _runs(starts: Iterable[int], step: Callable[[int], int]) -> list[tuple[int, int]]:
    """Sorted starts merged into contiguous [lo, hi) runs (``step`` gives the end of one)."""
    runs: list[list[int]] = []
    for s in sorted(set(starts)):
        if runs and runs[-1][1] == s:
            runs[-1][1] = step(s)
        else:
            runs.append([s, step(s)])
    return [(lo, hi) for lo, hi in runs]


class Rollups:
    """Rollup documents of one InfluxDB database, kept right by the readers that use them."""

    def __init__(self, source: RawSource) -> None:
        self.source = source
        self._lock = threading.Lock()
        self._delete_refused = False

    # -- reading ------------------------------------------------------------------------------

    def read(
        self, sites: Sequence[str] | None, ranges: Sequence[tuple[int, int]], *, months: bool, fields: Sequence[str]
    ) -> tuple[dict[tuple[str, int], Doc], dict[tuple[str, int], Doc]]:
        """Month documents for the whole local months inside ``ranges`` (when ``months``) and day documents for the rest.

        ``ranges`` are disjoint [lo, hi) spans of whole sealed days. Every (site, day) of
        them is covered once, by a month or a day document, recomputed first when dirty or
        missing. With ``sites`` None, every site holding raw points.
        """
        month_starts: list[int] = []
        day_ranges: list[tuple[int, int]] = []
        for lo, hi in ranges:
            if months:
                whole, rest = split_months(lo, hi)
                month_starts += whole
                day_ranges += rest
            elif lo < hi:
                day_ranges.append((lo, hi))
        conditions = list(site_conditions(sites))
        # The site as a selected tag: one answer series instead of one per site (half the time).
        selected = ", ".join(f'"{f}"' for f in (lp.TAG_SITE, *fields))
        # Markers with their tags selected, not grouped by: one answer series instead of one per
        # (site, day), which after a backfill of thousands of sites is 3x faster and a quarter the size.
        # Over more than one statement's sites, all markers unconditioned (other sites' are dropped
        # below): 5,000 sites' regexes took 170-200 ms on InfluxDB 1.6.7, one plain read 8-9 ms.
        marker_conditions = conditions if len(conditions) == 1 else [""]
        statements = [
            f'SELECT "{lp.TAG_SITE}", "{TAG_DAY}", "n" FROM "{DIRTY_MEASUREMENT}"{_where(c)}' for c in marker_conditions
        ]
        shapes = [(MONTH_MEASUREMENT, lo, hi) for lo, hi in _runs(month_starts, next_month)]
        shapes += [(DAY_MEASUREMENT, lo, hi) for lo, hi in day_ranges]
        for measurement, lo, hi in shapes:
            statements += [f'SELECT {selected} FROM "{measurement}" WHERE time >= {lo}s AND time < {hi}s{c}' for c in conditions]
        read_clock = time.time()
        answers = self.source.query_many(statements)
        markers = [pair for answer in answers[: len(marker_conditions)] for pair in marker_rows(answer)]
        month_docs: dict[tuple[str, int], Doc] = {}
        day_docs: dict[tuple[str, int], Doc] = {}
        for k, (measurement, _lo, _hi) in enumerate(shapes):
            target = month_docs if measurement == MONTH_MEASUREMENT else day_docs
            first = len(marker_conditions) + len(conditions) * k
            for answer in answers[first : first + len(conditions)]:
                for site, ts, doc in doc_rows(answer):
                    target[(site, ts)] = doc

        # A name line protocol cannot carry has no points, and no document can be kept for it.
        wanted = [s for s in (sites if sites is not None else self.source.all_sites()) if lp.representable(s)]
        in_range = _InRanges(ranges)
        wanted_set = set(wanted)
        dirty = {(s, d) for s, d in markers if in_range(d) and s in wanted_set}
        dirty_months = {(s, month_of(d)) for s, d in dirty}
        stale_months = {(s, m) for m in month_starts for s in wanted if (s, m) not in month_docs or (s, m) in dirty_months}
        stale_days = {
            (s, d)
            for lo, hi in day_ranges
            for d in range(lo, hi, DAY)
            for s in wanted
            if (s, d) not in day_docs or (s, d) in dirty
        }
        if stale_months or stale_days:
            fresh_days, fresh_months = self.refresh(stale_days, stale_months, dirty, read_clock)
            day_docs.update((key, doc) for key, doc in fresh_days.items() if key in stale_days)
            month_docs.update(fresh_months)
        return month_docs, day_docs

    # -- recomputing --------------------------------------------------------------------------

    def refresh(
        self,
        stale_days: set[tuple[str, int]],
        stale_months: set[tuple[str, int]],
        dirty: set[tuple[str, int]],
        read_clock: float,
    ) -> tuple[dict[tuple[str, int], Doc], dict[tuple[str, int], Doc]]:
        """Recompute these day and month documents from raw points, write them, then clear the markers handled.

        Work goes in chunks of ``SITE_DAYS_PER_CHUNK``; a chunk whose documents are not ready
        within ``RECOMPUTE_BUDGET_S`` of its start is returned to the reader but not written
        (see ``MARKER_GRACE_S``), and the next reader recomputes it.
        """
        with self._lock:  # concurrent requests of one process would only repeat the work
            needed = set(stale_days)
            stored: dict[tuple[str, int], Doc] = {}
            if stale_months:
                stored = self._stored_days(stale_months)
                for s, m in stale_months:
                    needed.update((s, d) for d in range(m, next_month(m), DAY) if (s, d) not in stored or (s, d) in dirty)
            fresh: dict[tuple[str, int], Doc] = {}
            for chunk in _chunks(needed):
                began = time.time()
                docs = self.compute(chunk)
                fresh.update(docs)
                if time.time() - began < RECOMPUTE_BUDGET_S:
                    self.source.write_lines([doc.line(DAY_MEASUREMENT, s, d) for (s, d), doc in sorted(docs.items())])
                    self.clear(dirty & chunk, began)
            months: dict[tuple[str, int], Doc] = {}
            for s, m in stale_months:
                total = Doc()
                for d in range(m, next_month(m), DAY):
                    total.add(fresh.get((s, d)) or stored[(s, d)])
                months[(s, m)] = total
            # A month sums documents valid as of the first marker read: it is written under the same budget.
            if months and time.time() - read_clock < RECOMPUTE_BUDGET_S:
                self.source.write_lines([doc.line(MONTH_MEASUREMENT, s, m) for (s, m), doc in sorted(months.items())])
            return fresh, months

    def _stored_days(self, months: set[tuple[str, int]]) -> dict[tuple[str, int], Doc]:
        """The day documents stored for these (site, month) pairs."""
        by_month: dict[int, set[str]] = defaultdict(set)
        for s, m in months:
            by_month[m].add(s)
        statements = [
            f'SELECT "{lp.TAG_SITE}", "meters", "grid_import", "electric" FROM "{DAY_MEASUREMENT}" '
            f"WHERE time >= {m}s AND time < {next_month(m)}s{c}"
            for m, month_sites in sorted(by_month.items())
            for c in site_conditions(sorted(month_sites))
        ]
        return {(site, ts): doc for answer in self.source.query_many(statements) for site, ts, doc in doc_rows(answer)}

    def compute(self, pairs: set[tuple[str, int]]) -> dict[tuple[str, int], Doc]:
        """Day documents of (site, day) pairs from raw points: one range query per group of sites sharing days."""
        docs = {pair: Doc() for pair in pairs}
        netted: set[tuple[str, int]] = set()
        electric: dict[tuple[str, int], float] = {}
        for sites, lo, hi in _boxes(pairs):
            for site, meter, category, day, energy, readings, smallest in self.source.raw_day_rows(lo, hi, sites):
                doc = docs.get((site, day))
                if doc is None:
                    continue  # a day of this box another site needed
                entry = sum_for(doc.meters, meter, category)
                entry.add(energy, readings)
                entry.busiest_day = entry.readings
                if category in GAS_CATEGORY_VALUES:
                    continue
                electric[(site, day)] = electric.get((site, day), 0.0) + energy
                # Without generation and negative energies, netting per quarter hour changes nothing.
                if category in GENERATION_CATEGORY_VALUES or smallest < 0:
                    netted.add((site, day))
        for key, kwh in electric.items():
            docs[key].grid_import = kwh
        for sites, lo, hi in _boxes(netted):
            for key, kwh in self.source.raw_imports(lo, hi, sites).items():
                if key in netted:
                    docs[key].grid_import = kwh
        return docs

    def clear(self, handled: set[tuple[str, int]], read_clock: float) -> None:
        """Delete the dirty markers of these (site, day) pairs stamped before the read, less the grace."""
        if not handled:
            return
        bound = int(read_clock) - MARKER_GRACE_S
        by_day: dict[int, list[str]] = defaultdict(list)
        for s, d in handled:
            by_day[d].append(s)
        statements = [
            f'DELETE FROM "{DIRTY_MEASUREMENT}" WHERE "{TAG_DAY}" = \'{d}\'{c} AND time <= {bound}s'
            for d, sites in sorted(by_day.items())
            for c in site_conditions(sites)
        ]
        try:
            self.source.query_many(statements)
        except StoreRejected as exc:
            # The v1-compatible API of InfluxDB 2.x and 3 answers queries but refuses DELETE:
            # markers stay, so their days are recomputed by every reader (right, not fast).
            if not self._delete_refused:
                log.warning("dirty rollup markers cannot be deleted (%s); their days will be recomputed on every read", exc)
            self._delete_refused = True


class _InRanges:
    """Whether a day lies in one of some disjoint ranges."""

    def __init__(self, ranges: Sequence[tuple[int, int]]) -> None:
        self.ranges = sorted(ranges)
        self.starts = [lo for lo, _hi in self.ranges]

    def __call__(self, day: int) -> bool:
        i = bisect_right(self.starts, day) - 1
        return i >= 0 and day < self.ranges[i][1]


#: (site, day) pairs recomputed per chunk: about 1-3 s of InfluxDB 1.6.7 work for 10 meters a
#: site, well inside ``RECOMPUTE_BUDGET_S`` on a loaded machine.
SITE_DAYS_PER_CHUNK = 1000


def _chunks(pairs: set[tuple[str, int]]) -> Iterator[set[tuple[str, int]]]:
    """The pairs in chunks of at most ``SITE_DAYS_PER_CHUNK``, each a few days of a group of sites."""
    for sites, lo, hi in _boxes(pairs):
        span = max(1, SITE_DAYS_PER_CHUNK // len(sites)) * DAY
        for i in range(0, len(sites), SITE_DAYS_PER_CHUNK):
            group = sites[i : i + SITE_DAYS_PER_CHUNK]
            for a in range(lo, hi, span):
                yield {(s, d) for s in group for d in range(a, min(hi, a + span), DAY) if (s, d) in pairs}


def _boxes(pairs: Iterable[tuple[str, int]]) -> list[tuple[list[str], int, int]]:
    """(sites, lo, hi) boxes covering the pairs: days grouped by the set of sites needing them, then into runs."""
    by_day: dict[int, set[str]] = defaultdict(set)
    for s, d in pairs:
        by_day[d].add(s)
    by_sites: dict[frozenset[str], list[int]] = defaultdict(list)
    for d, sites in by_day.items():
        by_sites[frozenset(sites)].append(d)
    return [(sorted(sites), lo, hi) for sites, days in by_sites.items() for lo, hi in _runs(days, lambda d: d + DAY)]
