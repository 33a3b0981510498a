"""Flux query text for the InfluxDB 2.x backend: literals, the raw-point source and the server-side aggregates.

The aggregates run on the server (``aggregateWindow``), so a carbon total reads one row per
meter and day, not every raw point. They need InfluxDB 2.1 or later (Flux's ``timezone``
package and ``aggregateWindow(location:)``) and a server that knows the zone: a container
without tzdata answers "unknown time zone" (influxdata/influxdb#23248), which is why the
compose override mounts the host's zoneinfo.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.store import line_protocol as lp
from core.store.base import MEASUREMENT
from core.store.daily import GAS_CATEGORY_VALUES, NETTING_INTERVAL_S

__all__ = ["flux_string", "source", "daily_energy", "quarter_energy", "SUM_RESULT", "COUNT_RESULT"]

# Flux's range() takes integers as Unix seconds. Meter data lies between 1970 and
# 2200; staying well inside InfluxDB's int64-nanosecond limits (1677 to 2262)
# keeps Flux's own time arithmetic away from overflow.
MIN_S = 0
MAX_S = 7_258_118_400
#: Names of the two results ``daily_energy`` yields (``result`` column of each record).
SUM_RESULT = "energy"
COUNT_RESULT = "readings"
_FLUX_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def flux_string(value: str) -> str:
    """A double-quoted Flux string literal holding exactly ``value`` (no interpolation)."""
    return '"' + value.translate(_FLUX_ESCAPES).replace("${", "\\${") + '"'


def _any_of(column: str, values: Sequence[str]) -> str:
    # Tag equalities joined by "or" can be pushed down to the storage engine; contains() is not.
    return "(" + " or ".join(f"r.{column} == {flux_string(v)}" for v in values) + ")"


def source(
    bucket: str,
    start: int,
    end: int,
    fields: Sequence[str],
    sites: Sequence[str] | None = None,
    extra: Sequence[str] = (),
    **tags: str | None,
) -> str:
    """``from |> range |> filter`` over our measurement: these fields, sites and tag values, and ``extra`` tests."""
    lo, hi = max(int(start), MIN_S), min(int(end), MAX_S)
    tests = [f"r._measurement == {flux_string(MEASUREMENT)}", _any_of("_field", fields)]
    if sites is not None:
        tests.append(_any_of(lp.TAG_SITE, sites))
    tests += [f"r.{name} == {flux_string(v)}" for name, v in tags.items() if v is not None]
    tests += extra
    return (
        f"from(bucket: {flux_string(bucket)})\n"
        f"  |> range(start: {lo}, stop: {hi})\n"
        f"  |> filter(fn: (r) => {' and '.join(tests)})\n"
    )


def daily_energy(bucket: str, start: int, end: int, tz: str, site_id: str | None = None) -> str:
    """Per (site, meter, category) and local day of ``tz``: the energy sum and the reading count.

    Two results, ``energy`` and ``readings``; each row's ``_time`` is its window's start,
    which is local midnight except for a first day cut short by ``start`` (the caller maps
    it to its day). A re-tagged meter comes back once per category.
    """
    window = f'every: 1d, location: timezone.location(name: {flux_string(tz)}), createEmpty: false, timeSrc: "_start"'
    return (
        'import "timezone"\n\n'
        "data = "
        + source(bucket, start, end, ("energy",), site=site_id)
        + f'  |> group(columns: ["{lp.TAG_SITE}", "{lp.TAG_METER}", "{lp.TAG_CATEGORY}"])\n\n'
        f"data\n  |> aggregateWindow(fn: sum, {window})\n  |> yield(name: {flux_string(SUM_RESULT)})\n\n"
        f"data\n  |> aggregateWindow(fn: count, {window})\n  |> yield(name: {flux_string(COUNT_RESULT)})\n"
    )


def quarter_energy(bucket: str, start: int, end: int, sites: Sequence[str]) -> str:
    """Electricity per (site, category) and netting interval (epoch-aligned quarter hours); gas left out."""
    not_gas = [f"r.{lp.TAG_CATEGORY} != {flux_string(c)}" for c in sorted(GAS_CATEGORY_VALUES)]
    return (
        source(bucket, start, end, ("energy",), sites, not_gas)
        + f'  |> group(columns: ["{lp.TAG_SITE}", "{lp.TAG_CATEGORY}"])\n'
        + f'  |> aggregateWindow(every: {NETTING_INTERVAL_S}s, fn: sum, createEmpty: false, timeSrc: "_start")\n'
    )
