"""Rollup documents kept in InfluxDB 1.x: their line-protocol form, their reading back, and the sealing rules.

InfluxDB 1.x pays ~0.1 ms per series a query touches (measured on 1.6.7: summing a month of
one row per meter and day over 9,510 meter series took 1.6-4.6 s, reading one document per
site for 1,001 sites 115 ms). So a rollup is one point per *site* and local day (or month)
holding every meter of the site in one string field, not one series per meter.

Layout (measurement, tags, fields), days and months are Asia/Shanghai (UTC+8, no DST)::

    rollup_day,site=S    meters="[[meter, category, energy, readings], ...]",grid_import=F,electric=B   at local midnight
    rollup_month,site=S  meters="[[meter, category, energy, readings, busiest_day], ...]",grid_import=F,electric=B   at month start
    rollup_dirty,day=D,site=S  n=1i   at the wall-clock second of a write into a day before today

A document exists only for a *sealed* day (before yesterday) or a month of sealed days: its
presence says the day was rolled up (an empty day has ``meters="[]"``). ``electric`` is false
when the day (month) holds no electricity point, which ``grid_import_by_day`` omits; every
field is always written, so a query of some of them still sees every document.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from core.calendar import DAY, day_of, month_of, next_month
from core.store import line_protocol as lp
from core.store.daily import MeterSum, sum_for

DAY_MEASUREMENT = "rollup_day"
MONTH_MEASUREMENT = "rollup_month"
DIRTY_MEASUREMENT = "rollup_dirty"
TAG_DAY = "day"
#: Seconds a dirty marker must be older than before a recompute may delete it; newer markers
#: stay and cost one more recompute of their day. Two rules together keep a write from being
#: lost: a recompute writes its documents within ``RECOMPUTE_BUDGET_S`` of its start (or not
#: at all), and deletes only markers stamped ``MARKER_GRACE_S`` before its start. A marker is
#: stamped when its write begins and lands up to one request timeout (10 s) later; if the gap
#: between the two constants (25 s) exceeds that plus the clock difference between writers
#: and readers, a marker whose points a slow recompute missed is still too young for any
#: other recompute to delete before the slow one's documents are overwritten.
MARKER_GRACE_S = 45
RECOMPUTE_BUDGET_S = 20
#: Site names per regular expression in one statement; each statement is one index scan.
SITES_PER_STATEMENT = 1000


def sealed_end(now: float | None = None) -> int:
    """Local midnight starting yesterday: days before it are served from rollups."""
    return day_of(int(time.time() if now is None else now)) - DAY


def dirty_cutoff(now: float) -> int:
    """Points before today's local midnight mark their day dirty (a day's margin over ``sealed_end``).

    The margin means a write can only slip into a sealed day unmarked if it was in flight
    for a day, or if the writer's clock is a day behind the reader's.
    """
    return day_of(int(now))


@functools.lru_cache(maxsize=65536)
def _regex_literal(site: str) -> str:
    # RE2 takes \x{..} for any code point: no character of a name can end the InfluxQL
    # literal (``/``) or mean anything to the regex engine.
    return "".join(c if c.isascii() and (c.isalnum() or c == "_") else f"\\x{{{ord(c):x}}}" for c in site)


def site_regex(sites: Sequence[str]) -> str:
    """An InfluxQL regex literal matching exactly these site names (any characters)."""
    return f"/^(?:{'|'.join(map(_regex_literal, sites))})$/"


def site_conditions(sites: Sequence[str] | None) -> Iterator[str]:
    """`` AND site =~ ...`` clauses, one per statement; a single empty clause for every site."""
    if sites is None:
        yield ""
        return
    ordered = sorted(set(sites))
    for i in range(0, len(ordered), SITES_PER_STATEMENT):
        yield f' AND "{lp.TAG_SITE}" =~ {site_regex(ordered[i : i + SITES_PER_STATEMENT])}'


def _string_field(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def marker_lines(dirty: Iterable[tuple[str, int]], stamp: int) -> list[str]:
    """Dirty markers for (site, day) pairs, stamped with the write's second."""
    return [
        f"{DIRTY_MEASUREMENT},{TAG_DAY}={day},{lp.TAG_SITE}={lp.escape_tag(lp.TAG_SITE, site)} n=1i {stamp}"
        for site, day in dirty
    ]


@dataclass(slots=True)
class Doc:
    """One site's rollup of a day or a month: the sums of each meter."""

    meters: dict[str, MeterSum] = field(default_factory=dict)
    grid_import: float | None = None

    def line(self, measurement: str, site: str, ts: int) -> str:
        rows = [[m, e.category, e.energy, e.readings, e.busiest_day] for m, e in sorted(self.meters.items())]
        if measurement == DAY_MEASUREMENT:
            rows = [r[:4] for r in rows]
        meters = _string_field(json.dumps(rows, ensure_ascii=False, separators=(",", ":")))
        electric = self.grid_import is not None
        fields = f"meters={meters},grid_import={float(self.grid_import or 0.0)!r},electric={'true' if electric else 'false'}"
        return f"{measurement},{lp.TAG_SITE}={lp.escape_tag(lp.TAG_SITE, site)} {fields} {ts}"

    @classmethod
    def parse(cls, meters: list | None, grid_import: float | None, electric: bool | None) -> Doc:
        """A document from its decoded ``meters`` rows and its import fields."""
        doc = cls(grid_import=float(grid_import) if electric and grid_import is not None else None)
        for row in meters or ():
            meter, category, energy, readings = row[:4]
            doc.meters[meter] = MeterSum(category, float(energy), int(readings), int(row[4]) if len(row) > 4 else int(readings))
        return doc

    def add(self, other: Doc) -> None:
        """Fold a day (or month) into this month: sums, and the busiest day."""
        for meter, e in other.meters.items():
            sum_for(self.meters, meter, e.category).add(e.energy, e.readings, e.busiest_day)
        if other.grid_import is not None:
            self.grid_import = (self.grid_import or 0.0) + other.grid_import


def split_months(lo: int, hi: int) -> tuple[list[int], list[tuple[int, int]]]:
    """Whole local months inside [lo, hi) (their starts), and the day ranges left over."""
    first = month_of(lo)
    if first < lo:
        first = next_month(first)
    months, m = [], first
    while next_month(m) <= hi:
        months.append(m)
        m = next_month(m)
    if not months:
        return [], [(lo, hi)] if lo < hi else []
    rest = [(a, b) for a, b in ((lo, months[0]), (next_month(months[-1]), hi)) if a < b]
    return months, rest


#: Fields a reader selects: energy readers the meters, grid-import readers the netted import.
ENERGY_FIELDS = ("meters",)
IMPORT_FIELDS = ("grid_import", "electric")


def doc_rows(series_list: Iterable[dict]) -> Iterator[tuple[str, int, Doc]]:
    """(site, ts, doc) of every point of a ``SELECT "site", <fields> ...`` answer (or one grouped by site)."""
    for series in series_list:
        tag_site = (series.get("tags") or {}).get(lp.TAG_SITE, "")
        columns = series.get("columns", [])
        rows = series.get("values", [])
        i_time = columns.index("time")
        i_site = columns.index(lp.TAG_SITE) if lp.TAG_SITE in columns else None
        i_import = columns.index("grid_import") if "grid_import" in columns else None
        i_electric = columns.index("electric") if "electric" in columns else None
        if "meters" in columns:
            # One JSON document for the whole answer: a thousand small loads cost three times more.
            i_meters = columns.index("meters")
            meters = json.loads("[" + ",".join(row[i_meters] or "[]" for row in rows) + "]")
        else:
            meters = [None] * len(rows)
        for row, meter_rows in zip(rows, meters, strict=True):
            yield (
                tag_site if i_site is None else row[i_site],
                int(row[i_time]),
                Doc.parse(
                    meter_rows,
                    None if i_import is None else row[i_import],
                    None if i_electric is None else row[i_electric],
                ),
            )


def marker_rows(series_list: Iterable[dict]) -> Iterator[tuple[str, int]]:
    """(site, day) of every dirty marker in a ``SELECT site, day, n FROM rollup_dirty`` answer (repeats included)."""
    for series in series_list:
        columns = series.get("columns") or []
        if lp.TAG_SITE not in columns or TAG_DAY not in columns:
            continue
        at_site, at_day = columns.index(lp.TAG_SITE), columns.index(TAG_DAY)
        for row in series.get("values") or []:
            day = row[at_day]
            if isinstance(day, str) and re.fullmatch(r"-?\d+", day):
                yield row[at_site], int(day)
