"""Hourly consumption of one meter from its stored readings, with the data faults kept apart.

Interval energy is the register difference between consecutive stored readings. Spread
over the hours it covers, it gives hourly kWh; an hour is *valid* when trustworthy
intervals cover enough of it. Data faults never become consumption:

gap               an interval longer than a few reporting steps (readings lost): dropped
register_reset    the register went backwards (meter swapped): that interval dropped
register_rollover the register passed its announced maximum: the interval is kept, exact
spike             one reading far above its neighbours (then back, or a one-off jump):
                  the spike and its return are merged into one exact interval, or dropped
stuck_register    the register froze and then caught up in one jump: the frozen run and
                  the jump become one long interval, dropped like a gap

Hours are aligned to UTC hours, which are local hours in China (UTC+8, no DST).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.domain import EnergyPoint
from core.timebase import HOUR
from models.faults import interval_faults
from models.quality import DataWarning

#: Reporting step assumed when fewer than two readings exist to measure one.
DEFAULT_STEP_S = 900
#: An interval longer than this many reporting steps is a gap. Above 2 so one lost
#: message (a double-length interval, still exact thanks to the register) is kept.
GAP_STEPS = 2.5
#: Share of an hour that trustworthy intervals must cover for the hour to count.
#: 0.75 accepts one lost quarter-hour at the edge of a gap; lower would extrapolate
#: an hour's total from too small a sample.
MIN_HOUR_COVERAGE = 0.75


@dataclass(frozen=True, slots=True)
class HourlySeries:
    """Contiguous hourly grid of one meter: consumption where known, NaN elsewhere."""

    hours: np.ndarray
    kwh: np.ndarray
    coverage: np.ndarray
    warnings: tuple[DataWarning, ...] = ()

    @property
    def valid(self) -> np.ndarray:
        return ~np.isnan(self.kwh)

    def between(self, start: int, end: int) -> HourlySeries:
        """The hours starting in ``[start, end)`` (warnings stay with the full series)."""
        keep = (self.hours >= start) & (self.hours < end)
        return HourlySeries(self.hours[keep], self.kwh[keep], self.coverage[keep], self.warnings)


def hour_grid(start: int, end: int) -> np.ndarray:
    """Starts of the hours overlapping ``[start, end)``."""
    first = (start // HOUR) * HOUR
    return np.arange(first, end, HOUR, dtype=np.int64)


def hourly_energy(
    points: Sequence[EnergyPoint],
    *,
    start: int,
    end: int,
    site_id: str,
    meter_id: str,
    rated_kw: float = 0.0,
    register_max: float | None = None,
    report_from: int | None = None,
) -> HourlySeries:
    """Aggregate one meter's points (ordered by ts) into hourly kWh over ``[start, end)``.

    Data faults are reported for the intervals ending at or after ``report_from`` (all by
    default), so a gap weeks back in the training data is not reported on every pass.
    """
    ts = np.fromiter((p.ts for p in points), dtype=np.int64, count=len(points))
    register = np.fromiter((p.register for p in points), dtype=float, count=len(points))
    return hourly_from_registers(
        ts,
        register,
        start=start,
        end=end,
        site_id=site_id,
        meter_id=meter_id,
        rated_kw=rated_kw,
        register_max=register_max,
        report_from=report_from,
    )


def hourly_from_registers(
    ts: np.ndarray,
    register: np.ndarray,
    *,
    start: int,
    end: int,
    site_id: str,
    meter_id: str,
    rated_kw: float = 0.0,
    register_max: float | None = None,
    report_from: int | None = None,
) -> HourlySeries:
    """:func:`hourly_energy` on arrays of reading times and cumulative registers."""
    hours = hour_grid(start, end)
    energy = np.zeros(hours.size)
    covered = np.zeros(hours.size)
    if ts.size < 2:
        return HourlySeries(hours, np.full(hours.size, np.nan), covered, ())
    dur = np.diff(ts)
    step = float(np.median(dur)) if dur.size else DEFAULT_STEP_S
    faults = interval_faults(ts, register, step_s=step, gap_steps=GAP_STEPS, rated_kw=rated_kw, register_max=register_max)
    good = faults.keep & (faults.dur > 0)
    _spread(faults.prev[good], faults.ts[good], faults.energy[good], hours, energy, covered)
    coverage = np.clip(covered / HOUR, 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        kwh = np.where(coverage >= MIN_HOUR_COVERAGE, energy / coverage, np.nan)
    since = report_from if report_from is not None else start
    warnings = tuple(faults.warnings(site_id, meter_id, since=since))
    return HourlySeries(hours, kwh, coverage, warnings)


def _spread(
    prev: np.ndarray, ts: np.ndarray, value: np.ndarray, hours: np.ndarray, energy: np.ndarray, covered: np.ndarray
) -> None:
    """Add each interval's energy and duration to the hours it overlaps, pro rata."""
    origin = int(hours[0]) if hours.size else 0
    first = (prev - origin) // HOUR
    last = (ts - 1 - origin) // HOUR
    inside = (first == last) & (first >= 0) & (first < hours.size)
    np.add.at(energy, first[inside], value[inside])
    np.add.at(covered, first[inside], (ts - prev)[inside])
    # Intervals crossing an hour boundary are rare with aligned gateways; loop over them.
    for p, t, v in zip(prev[~inside], ts[~inside], value[~inside], strict=True):
        length = t - p
        for idx in range(max(int((p - origin) // HOUR), 0), min(int((t - 1 - origin) // HOUR) + 1, hours.size)):
            lo, hi = max(p, origin + idx * HOUR), min(t, origin + (idx + 1) * HOUR)
            energy[idx] += v * (hi - lo) / length
            covered[idx] += hi - lo
