"""Hourly consumption of one meter from its stored interval energies.

Each ``EnergyPoint`` carries the energy drawn over ``(previous ts, ts]``. Intervals are
spread over the hours they cover; an hour is *valid* when enough of it is covered by
trustworthy intervals. Gaps and register resets are never turned into consumption:
the energy of an interval closing a gap (or a reset) is dropped, so a gateway outage
cannot look like a spike and a reset cannot look like a quiet hour.

Hours are aligned to UTC hours, which are also local hours in China (UTC+8, no DST).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.domain import EnergyPoint
from models.quality import DataWarning

HOUR = 3600
#: Reporting step assumed when fewer than two readings exist to measure one.
DEFAULT_STEP_S = 900
#: An interval longer than this many reporting steps is a gap. Above 2 so one lost
#: message (a double-length interval, still exact thanks to the register) is kept.
GAP_STEPS = 2.5
#: Share of an hour that trustworthy intervals must cover for the hour to count.
#: 0.75 accepts one lost quarter-hour at the edge of a gap; lower would extrapolate
#: an hour's total from too small a sample.
MIN_HOUR_COVERAGE = 0.75
#: A reading implying more than this multiple of the rated power is a glitch, not a load.
MAX_RATED_MULTIPLE = 3.0


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
    report_from: int | None = None,
) -> HourlySeries:
    """Aggregate one meter's points (ordered by ts) into hourly kWh over ``[start, end)``.

    Data-quality warnings cover the intervals ending at or after ``report_from`` (all by
    default), so a gap weeks back in the training data is not reported on every pass.
    """
    hours = hour_grid(start, end)
    energy = np.zeros(hours.size)
    covered = np.zeros(hours.size)
    if len(points) < 2:
        return HourlySeries(hours, np.full(hours.size, np.nan), covered, ())
    ts = np.array([p.ts for p in points], dtype=np.int64)
    register = np.array([p.register for p in points], dtype=float)
    value = np.array([p.energy for p in points], dtype=float)
    dur = np.diff(ts)
    step = float(np.median(dur)) if dur.size else DEFAULT_STEP_S
    # The first point's interval starts before the window: its start is unknown, skip it.
    prev, ts, value = ts[:-1], ts[1:], value[1:]
    gap = dur > GAP_STEPS * step
    reset = (np.diff(register) < 0) | (value < 0)
    glitch = np.zeros_like(gap)
    if rated_kw > 0:
        glitch = value > MAX_RATED_MULTIPLE * rated_kw * dur / HOUR
    good = ~(gap | reset | glitch) & (dur > 0)
    _spread(prev[good], ts[good], value[good], hours, energy, covered)
    coverage = np.clip(covered / HOUR, 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        kwh = np.where(coverage >= MIN_HOUR_COVERAGE, energy / coverage, np.nan)
    recent = ts >= (report_from if report_from is not None else start)
    warnings = _findings(site_id, meter_id, prev, ts, dur, gap & recent, reset & recent, glitch & recent)
    return HourlySeries(hours, kwh, coverage, tuple(warnings))


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


def _findings(
    site_id: str,
    meter_id: str,
    prev: np.ndarray,
    ts: np.ndarray,
    dur: np.ndarray,
    gap: np.ndarray,
    reset: np.ndarray,
    glitch: np.ndarray,
) -> list[DataWarning]:
    findings = []
    if gap.any():
        findings.append(
            DataWarning(
                code="data_gap",
                message=f"{int(gap.sum())} gap(s) in the readings, longest {dur[gap].max() / HOUR:.1f} h",
                site_id=site_id,
                meter_id=meter_id,
                data={"gaps": int(gap.sum()), "missing_hours": round(float(dur[gap].sum()) / HOUR, 2),
                      "first_gap_start": int(prev[gap][0])},
            )
        )
    if reset.any():
        findings.append(
            DataWarning(
                code="register_reset",
                message=f"the register went backwards {int(reset.sum())} time(s); those intervals are not scored",
                site_id=site_id,
                meter_id=meter_id,
                data={"resets": int(reset.sum()), "first_reset_at": int(ts[reset][0])},
            )
        )
    if glitch.any():
        findings.append(
            DataWarning(
                code="implausible_reading",
                message=f"{int(glitch.sum())} reading(s) imply more than {MAX_RATED_MULTIPLE:g}x the rated power",
                site_id=site_id,
                meter_id=meter_id,
                data={"readings": int(glitch.sum()), "first_at": int(ts[glitch][0])},
            )
        )
    return findings
