"""``HourlyCache``: each site's hourly matrix kept between passes, extended with new readings only.

A pass reads the store from a little before the end of what it already has, so a pass
costs the new readings, not the whole training window. The matrix is rebuilt from the
store once a day of data time (late readings older than the re-read margin count then)
and whenever time goes backwards (a replay).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from core.domain import Meter
from core.store.base import SeriesStore
from core.timebase import DAY, HOUR
from models.hourly import hour_grid, hourly_from_registers
from models.quality import DataWarning

#: Hours re-read before the end of the cached data: the last hour may have been partial,
#: and readings delayed by a gateway a little arrive late.
REREAD_HOURS = 2
#: Data time after which a site's matrix is rebuilt from the store.
REBUILD_AFTER_S = DAY


@dataclass(slots=True)
class SiteHours:
    hours: np.ndarray
    kwh: dict[str, np.ndarray] = field(default_factory=dict)
    built_at: int = 0

    def matrix(self, meters: list[Meter]) -> np.ndarray:
        out = np.full((self.hours.size, len(meters)), np.nan)
        for j, meter in enumerate(meters):
            series = self.kwh.get(meter.meter_id)
            if series is not None:
                out[:, j] = series
        return out


class HourlyCache:
    """Hourly kWh of every meter of the sites a detector scans, by site."""

    def __init__(self, store: SeriesStore, rebuild_after_s: int = REBUILD_AFTER_S) -> None:
        self.store = store
        self.rebuild_after_s = rebuild_after_s
        self._sites: dict[str, SiteHours] = {}

    def forget(self, site_id: str) -> None:
        self._sites.pop(site_id, None)

    def site(
        self, site_id: str, meters: list[Meter], *, start: int, end: int, report_from: int
    ) -> tuple[SiteHours, list[DataWarning], set[str]]:
        """The site's hours in ``[start, end)``; data faults since ``report_from``; meters with points."""
        cached = self._sites.get(site_id)
        grid = hour_grid(start, end)
        full = (
            cached is None
            or cached.hours.size == 0
            or end < cached.hours[-1] + HOUR
            or start < cached.hours[0]
            or end - cached.built_at >= self.rebuild_after_s
        )
        # ``cached is None`` implies ``full``; said again for the type checker.
        read_from = start - HOUR if full or cached is None else int(cached.hours[-1]) - REREAD_HOURS * HOUR
        fresh_from = start if full else read_from + HOUR
        points = self.store.points(start=read_from, end=end, site_id=site_id)
        by_meter: dict[str, list] = defaultdict(list)
        for p in points:
            by_meter[p.meter_id].append(p)
        rated = {m.meter_id: m for m in meters}
        site = SiteHours(grid, built_at=end if full or cached is None else cached.built_at)
        keep_old = grid < fresh_from
        warnings: list[DataWarning] = []
        for meter_id in set(by_meter) | (set() if full or cached is None else set(cached.kwh)):
            series = np.full(grid.size, np.nan)
            if not full and cached is not None and meter_id in cached.kwh:
                old = cached.kwh[meter_id]
                idx = np.searchsorted(cached.hours, grid[keep_old])
                inside = (idx < cached.hours.size) & (cached.hours[np.minimum(idx, cached.hours.size - 1)] == grid[keep_old])
                series[np.flatnonzero(keep_old)[inside]] = old[idx[inside]]
            pts = by_meter.get(meter_id, [])
            if len(pts) >= 2:
                meter = rated.get(meter_id)
                ts = np.fromiter((p.ts for p in pts), dtype=np.int64, count=len(pts))
                reg = np.fromiter((p.register for p in pts), dtype=float, count=len(pts))
                hourly = hourly_from_registers(
                    ts,
                    reg,
                    start=fresh_from,
                    end=end,
                    site_id=site_id,
                    meter_id=meter_id,
                    rated_kw=meter.rated_kw if meter else 0.0,
                    register_max=meter.register_max if meter else None,
                    report_from=max(report_from, read_from + HOUR),
                )
                series[grid >= fresh_from] = hourly.kwh
                warnings.extend(hourly.warnings)
            site.kwh[meter_id] = series
        self._sites[site_id] = site
        return site, warnings, set(by_meter)
