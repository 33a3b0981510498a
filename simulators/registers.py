"""Cumulative registers of many meters: counting, rollover, replacement, and the data faults on them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.domain import Meter
from simulators.timeline import Timeline
from simulators.waste import WasteEvent

#: A new meter put in by a replacement starts from a few units (factory tests, install).
NEW_METER_START = (0.0, 5.0)
#: A spike shows the register this much too high, as a share of its value (a corrupted
#: digit or frame), and at least SPIKE_MIN_STEPS of the last digit.
SPIKE_SHARE = (0.2, 1.0)
SPIKE_MIN_STEPS = 10_000


class RegisterBank:
    """What each meter's register shows; ``value`` is the counter of the meter installed now.

    Fault and meter events act on the readings whose ``ts`` lies in ``[start, end)``:
    ``stuck_register`` stops counting (the energy is never seen), ``register_reset``
    swaps in a new meter near zero, ``spike`` shows one wildly high register and
    ``dropout`` publishes nothing. A register that passes ``register_max`` rolls over.
    """

    def __init__(
        self,
        initial: np.ndarray,
        register_max: np.ndarray,
        resolution: np.ndarray,
        events: list[WasteEvent],
        meter_index: dict[str, int],
        seed: int,
    ) -> None:
        self.value = initial.astype(float).copy()
        self.resolution = resolution
        self.modulus = register_max + resolution  # 999999.99 rolls over to 0.00
        self.events = events
        rng = np.random.default_rng([seed, 0x2E6])
        self._meter = np.array([meter_index[e.meter_id] for e in events], dtype=np.int64)
        self._kind = np.array([e.kind for e in events], dtype=object)
        self._draw = rng.uniform(size=len(events))  # one seeded number per event for its size
        self._timeline = Timeline(
            np.array([e.start for e in events], dtype=np.int64), np.array([e.end for e in events], dtype=np.int64)
        )
        self._active_ts: int | None = None
        self._active = np.empty(0, dtype=np.int64)
        self._wraps: list[tuple[int, int]] = []
        self.planned_rollovers = [i for i, e in enumerate(events) if e.kind == "register_rollover"]

    def _at(self, ts: int) -> np.ndarray:
        if ts != self._active_ts:
            self._active_ts, self._active = ts, self._timeline.overlapping(ts, ts + 1)
        return self._active

    def _of(self, kind: str, ts: int) -> tuple[np.ndarray, np.ndarray]:
        active = self._at(ts)
        if not active.size:
            return active, active
        chosen = active[self._kind[active] == kind]
        return chosen, self._meter[chosen]

    def aim_rollovers(self, estimate: Callable[[np.ndarray, np.ndarray], np.ndarray], start: int) -> None:
        """Start each meter with a planned rollover just far enough below its maximum to wrap near the plan."""
        first: dict[int, int] = {}
        for i in self.planned_rollovers:
            m = int(self._meter[i])
            if np.isfinite(self.modulus[m]) and (m not in first or self.events[i].start < self.events[first[m]].start):
                first[m] = i
        if not first:
            return
        meters = np.array(list(first), dtype=np.int64)
        until = np.array([self.events[i].start for i in first.values()], dtype=np.int64)
        units = estimate(meters, until)
        self.value[meters] = np.clip(self.modulus[meters] - units, 0.0, self.modulus[meters] - self.resolution[meters])

    def advance(self, ts: int, units: np.ndarray) -> None:
        """Count ``units`` (kWh or m3) for the interval ending at ``ts``."""
        units = units.copy()
        _, stuck = self._of("stuck_register", ts)
        units[stuck] = 0.0
        self.value += units
        events, replaced = self._of("register_reset", ts)
        if replaced.size:
            lo, hi = NEW_METER_START
            self.value[replaced] = lo + (hi - lo) * self._draw[events] + units[replaced]
        wrapped = np.flatnonzero(self.value >= self.modulus)  # NaN modulus (unknown) never wraps
        if wrapped.size:
            self.value[wrapped] -= self.modulus[wrapped]
            self._wraps.extend((int(m), ts) for m in wrapped)

    def reading(self, ts: int) -> tuple[np.ndarray, np.ndarray]:
        """Registers as shown at ``ts`` (for all meters) and the indices of the meters that report."""
        # A register shows whole steps of its last digit: it truncates, it never rounds up.
        shown = np.round(np.floor(self.value / self.resolution + 1e-9) * self.resolution, 2)
        events, spiked = self._of("spike", ts)
        if spiked.size:
            lo, hi = SPIKE_SHARE
            jump = np.maximum(shown[spiked] * (lo + (hi - lo) * self._draw[events]), SPIKE_MIN_STEPS * self.resolution[spiked])
            shown[spiked] = np.round(shown[spiked] + jump, 2)
        _, silent = self._of("dropout", ts)
        reporting = np.ones(len(shown), dtype=bool)
        reporting[silent] = False
        return shown, np.flatnonzero(reporting)

    def rollovers_seen(self, meters: list[Meter], step_s: int) -> list[WasteEvent]:
        """A ``register_rollover`` event for each wrap so far, on the reading that shows it."""
        return [
            WasteEvent(meters[m].site_id, meters[m].meter_id, "register_rollover", ts, ts + step_s, 0.0) for m, ts in self._wraps
        ]
