"""Events as arrays, and which of them touch each successive interval; waste load per step."""

from __future__ import annotations

import numpy as np

from simulators.waste import CLOSED_HOURS_ONLY, RAMPED, WasteEvent


class Timeline:
    """Indices of the events overlapping ``[t0, t1)`` for intervals that only move forward."""

    def __init__(self, starts: np.ndarray, ends: np.ndarray) -> None:
        self._order = np.argsort(starts, kind="stable")
        self._sorted_starts = starts[self._order]
        self._ends = ends
        self._next = 0
        self._live = np.empty(0, dtype=np.int64)

    def overlapping(self, t0: int, t1: int) -> np.ndarray:
        k = int(np.searchsorted(self._sorted_starts, t1, side="left"))
        if k > self._next:
            self._live = np.concatenate([self._live, self._order[self._next : k]])
            self._next = k
        if self._live.size:
            # Intervals only move forward, so an event that ended is never needed again.
            self._live = self._live[self._ends[self._live] > t0]
        return self._live


class WasteLoad:
    """Extra load of waste events, capped by each circuit's headroom, and the kWh each adds."""

    def __init__(self, events: list[WasteEvent], meter_index: dict[str, int], site_of_meter: np.ndarray, n_meters: int) -> None:
        self.n_meters = n_meters
        self.meter = np.array([meter_index[e.meter_id] for e in events], dtype=np.int64)
        self.site = site_of_meter[self.meter] if events else np.empty(0, dtype=np.int64)
        self.start = np.array([e.start for e in events], dtype=np.int64)
        self.end = np.array([e.end for e in events], dtype=np.int64)
        self.extra_kw = np.array([e.extra_kw for e in events], dtype=float)
        self.ramped = np.array([e.kind in RAMPED for e in events], dtype=bool)
        # When each ramp reaches its full load (unused for other kinds).
        self.ramp_stop = np.array([e.ramp_stop or e.end for e in events], dtype=np.int64)
        self.closed_only = np.array([e.kind in CLOSED_HOURS_ONLY for e in events], dtype=bool)
        self.timeline = Timeline(self.start, self.end)

    def step(
        self, t0: int, t1: int, open_frac: np.ndarray, base_kw: np.ndarray, cap_kw: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Extra mean kW per meter over ``[t0, t1)``, and the active events with the kW each adds."""
        idx = self.timeline.overlapping(t0, t1)
        if not idx.size:
            return np.zeros(self.n_meters), idx, np.empty(0)
        s, e = self.start[idx], self.end[idx]
        lo, hi = np.maximum(t0, s), np.minimum(t1, e)
        share = (hi - lo) / (t1 - t0)
        # A creeping load at the middle of the overlap, full once its ramp is done; leaks and
        # idling show only when closed.
        ramp = np.clip(((lo + hi) / 2.0 - s) / np.maximum(self.ramp_stop[idx] - s, 1), 0.0, 1.0)
        factor = np.where(self.ramped[idx], ramp, 1.0)
        factor = np.where(self.closed_only[idx], factor * (1.0 - open_frac[self.site[idx]]), factor)
        wanted = self.extra_kw[idx] * factor * share
        meters = self.meter[idx]
        total = np.bincount(meters, weights=wanted, minlength=self.n_meters)
        # Load cannot exceed the circuit's capacity; what fits is shared among the events.
        headroom = np.maximum(0.0, cap_kw - base_kw)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(total > headroom, headroom / total, 1.0)
        added = wanted * scale[meters]
        return np.bincount(meters, weights=added, minlength=self.n_meters), idx, added
