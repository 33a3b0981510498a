"""Data faults between consecutive register readings: what to keep, merge or drop, and why.

Each fault becomes a :class:`DataFault` (kind, start, end) that detection stores as a
``DataFindingRecord``; none of them is ever consumption, so none can become waste.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.timebase import HOUR
from models.quality import DataWarning

#: A reading implying more than this multiple of the rated power over its interval is a
#: spike: a meter never draws twice its rating for a quarter of an hour.
SPIKE_RATED_MULTIPLE = 2.0
#: An interval this many times its larger neighbour is an isolated spike. Waste switches
#: on and stays on, so its first interval has a neighbour as high as itself.
SPIKE_ISOLATION = 4.0
#: ... provided the jump is also this share of the rated power (or, unrated, of the peak):
#: smaller one-off bumps are noise the hourly scale already absorbs.
SPIKE_MIN_RATED_SHARE = 0.25
#: Zero-energy readings in a row before a catch-up jump counts as a stuck register.
#: Two are a quiet half hour; three with a jump after them are a frozen counter.
STUCK_MIN_READINGS = 3
#: Most findings kept per meter and call, so a meter that is broken all month does not
#: flood the findings table.
MAX_FAULTS = 50


@dataclass(frozen=True, slots=True)
class DataFault:
    kind: str
    started_at: int
    ended_at: int
    detail: dict = field(default_factory=dict)


@dataclass(slots=True)
class IntervalFaults:
    """Intervals ``(prev, ts]`` with their energy, whether each is kept, and the faults found."""

    prev: np.ndarray
    ts: np.ndarray
    energy: np.ndarray
    keep: np.ndarray
    faults: list[DataFault]

    @property
    def dur(self) -> np.ndarray:
        return self.ts - self.prev

    def warnings(self, site_id: str, meter_id: str, *, since: int) -> list[DataWarning]:
        """The faults ending at or after ``since`` as data warnings (code = finding kind)."""
        recent = [f for f in self.faults if f.ended_at >= since][:MAX_FAULTS]
        return [
            DataWarning(
                code=f.kind,
                message=_MESSAGES[f.kind],
                site_id=site_id,
                meter_id=meter_id,
                data={"started_at": f.started_at, "ended_at": f.ended_at, **f.detail},
            )
            for f in recent
        ]


_MESSAGES = {
    "gap": "readings are missing; the hours of the gap are not scored",
    "register_reset": "the register went backwards (meter replaced or reset); that interval is not scored",
    "register_rollover": "the register passed its maximum and restarted; the interval is counted exactly",
    "spike": "one reading far above its neighbours; it is not counted as consumption",
    "stuck_register": "the register stopped moving and then caught up; those hours are not scored",
}


def interval_faults(
    ts: np.ndarray,
    register: np.ndarray,
    *,
    step_s: float,
    gap_steps: float,
    rated_kw: float = 0.0,
    register_max: float | None = None,
) -> IntervalFaults:
    """Classify the intervals between readings ``ts`` (ascending) with cumulative ``register``."""
    prev, end = ts[:-1].copy(), ts[1:].copy()
    energy = np.diff(register)
    keep = np.ones(energy.size, dtype=bool)
    faults: list[DataFault] = []
    _rollovers(register, energy, end, register_max, faults)
    # A frozen register's catch-up is an isolated jump too: recognise it first.
    _stuck(prev, end, energy, keep, faults)
    _spikes(prev, end, energy, keep, rated_kw, faults)
    for i in np.flatnonzero(keep & (energy < 0)):
        keep[i] = False
        faults.append(
            DataFault(
                "register_reset", int(prev[i]), int(end[i]), {"before": float(register[i]), "after": float(register[i + 1])}
            )
        )
    gap = keep & ((end - prev) > gap_steps * step_s)
    for i in np.flatnonzero(gap):
        faults.append(DataFault("gap", int(prev[i]), int(end[i]), {"missing_hours": round((end[i] - prev[i]) / HOUR, 2)}))
    keep &= ~gap
    faults.sort(key=lambda f: (f.started_at, f.kind))
    return IntervalFaults(prev, end, energy, keep, faults)


def _rollovers(
    register: np.ndarray, energy: np.ndarray, end: np.ndarray, register_max: float | None, faults: list[DataFault]
) -> None:
    if not register_max:
        return
    for i in np.flatnonzero(energy < 0):
        before, after = register[i], register[i + 1]
        if before > 0.5 * register_max and after < 0.5 * register_max:
            energy[i] = register_max - before + after
            faults.append(
                DataFault("register_rollover", int(end[i]), int(end[i]), {"before": float(before), "after": float(after)})
            )


def _spikes(
    prev: np.ndarray, end: np.ndarray, energy: np.ndarray, keep: np.ndarray, rated_kw: float, faults: list[DataFault]
) -> None:
    n = energy.size
    if n == 0:
        return
    hours = np.maximum((end - prev) / HOUR, 1e-9)
    # Rates (kW), so a long interval closing a gap is judged by its power, not its energy.
    rate = np.clip(energy, 0.0, None) / hours
    left = np.concatenate([[0.0], rate[:-1]])
    right = np.concatenate([rate[1:], [0.0]])
    # A spike that comes back down leaves a negative next interval: the neighbour to compare is the one before.
    returns = np.concatenate([energy[1:] < 0, [False]])
    neighbour = np.where(returns, left, np.maximum(left, right))
    peak = float(np.percentile(rate, 99)) if n >= 10 else float(rate.max())
    material = SPIKE_MIN_RATED_SHARE * (rated_kw if rated_kw > 0 else peak)
    isolated = (rate > SPIKE_ISOLATION * neighbour) & (rate - neighbour > material)
    impossible = (rate > SPIKE_RATED_MULTIPLE * rated_kw) if rated_kw > 0 else np.zeros(n, dtype=bool)
    for i in np.flatnonzero((isolated | impossible) & keep):
        if returns[i] and energy[i] + energy[i + 1] >= 0:
            # Up and back: the two intervals together hold the true energy exactly.
            energy[i + 1] += energy[i]
            prev[i + 1] = prev[i]
            end_at = int(end[i + 1])
        else:
            end_at = int(end[i])
        keep[i] = False
        faults.append(DataFault("spike", int(prev[i]), end_at, {"jump": round(float(energy[i]), 3)}))


def _stuck(prev: np.ndarray, end: np.ndarray, energy: np.ndarray, keep: np.ndarray, faults: list[DataFault]) -> None:
    zero = keep & (energy == 0.0)
    if zero.sum() < STUCK_MIN_READINGS:
        return
    edges = np.diff(np.concatenate([[0], zero.astype(np.int8), [0]]))
    for first, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        run = stop - first
        if run < STUCK_MIN_READINGS or stop >= energy.size or not keep[stop]:
            continue
        before = energy[max(first - 4, 0) : first]
        after = energy[stop + 1 : stop + 5]
        typical = (
            float(np.median(np.concatenate([before[before > 0], after[after > 0]])))
            if ((before > 0).any() or (after > 0).any())
            else 0.0
        )
        # A catch-up carries the frozen intervals' energy: about run + 1 typical intervals.
        if typical > 0 and energy[stop] > 0.5 * (run + 1) * typical:
            keep[first : stop + 1] = False
            faults.append(
                DataFault(
                    "stuck_register",
                    int(prev[first]),
                    int(end[stop]),
                    {"readings": int(run), "catch_up_kwh": round(float(energy[stop]), 3)},
                )
            )
