"""Turning cumulative registers into interval energy, one meter at a time."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from core.domain import EnergyPoint, Reading

#: Registers travel with 3 decimals; rounding the delta to 6 removes float noise
#: (10.3 - 10.1 = 0.20000000000000018) without touching real consumption.
_ENERGY_DECIMALS = 6


class Step(enum.Enum):
    """How a reading relates to the newest one seen for its meter."""

    FIRST = "first"
    """No earlier reading is known: energy 0.0."""
    NEXT = "next"
    """Newer than the last one with a register at least as high: energy is the delta."""
    RESET = "reset"
    """Newer, but the register went down (meter replaced or rolled over): energy 0.0."""
    DUPLICATE = "duplicate"
    """Same timestamp and register as the newest one: nothing new."""
    CONFLICT = "conflict"
    """Same timestamp as the newest one but another register."""
    OUT_OF_ORDER = "out_of_order"
    """Older than the newest one: the caller decides against what is stored."""


@dataclass(frozen=True, slots=True)
class Outcome:
    step: Step
    energy: float = 0.0


class EnergyTracker:
    """Remembers the newest ``(ts, register)`` of every meter and classifies each new reading.

    Only ``FIRST``, ``NEXT`` and ``RESET`` move a meter forward; out-of-order readings
    never do, so a late reading cannot make the next delta count an interval twice.
    """

    def __init__(self) -> None:
        self._last: dict[str, tuple[int, float]] = {}
        self._seeded_sites: set[str] = set()

    def needs_seed(self, site_id: str) -> bool:
        return site_id not in self._seeded_sites

    def seed(self, site_id: str, latest: Mapping[str, EnergyPoint]) -> None:
        """Continue from the store's newest points of a site (after a restart)."""
        for meter_id, point in latest.items():
            known = self._last.get(meter_id)
            if known is None or known[0] < point.ts:
                self._last[meter_id] = (point.ts, point.register)
        self._seeded_sites.add(site_id)

    def classify(self, reading: Reading) -> Outcome:
        """Classify ``reading``; advances the meter when the reading is its new newest one."""
        last = self._last.get(reading.meter_id)
        if last is None:
            self._last[reading.meter_id] = (reading.ts, reading.register)
            return Outcome(Step.FIRST)
        last_ts, last_register = last
        if reading.ts < last_ts:
            return Outcome(Step.OUT_OF_ORDER)
        if reading.ts == last_ts:
            return Outcome(Step.DUPLICATE if reading.register == last_register else Step.CONFLICT)
        self._last[reading.meter_id] = (reading.ts, reading.register)
        if reading.register < last_register:
            return Outcome(Step.RESET)
        return Outcome(Step.NEXT, round(reading.register - last_register, _ENERGY_DECIMALS))
