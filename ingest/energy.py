"""Turning cumulative registers into interval energy, one meter at a time."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from core.domain import EnergyPoint, Meter, Reading, new_record

#: Registers travel with 3 decimals; rounding the delta to micro-units removes float noise
#: (10.3 - 10.1 = 0.20000000000000018) without touching real consumption. round(x * 1e6)
#: is used rather than round(x, 6), which formats the float and is five times slower.
_SCALE = 1e6
#: A rollover may use up to this multiple of the meter's rated power over the interval:
#: loads run above their rating for a while, and a meter replacement that looked like a
#: rollover would "consume" a good part of register_max, orders of magnitude more.
ROLLOVER_HEADROOM = 2.0
#: Without a rated power, a rollover may use at most this fraction of register_max.
ROLLOVER_FRACTION = 0.01
#: Intervals remembered per meter; the usual interval is their median, so one gap or one
#: burst does not change it while a new reporting rate is adopted after two intervals.
_INTERVALS_KEPT = 3


class Step(enum.Enum):
    """How a reading relates to the newest one seen for its meter."""

    FIRST = "first"
    """No earlier reading is known: energy 0.0."""
    NEXT = "next"
    """Newer than the last one with a register at least as high: energy is the delta."""
    ROLLOVER = "rollover"
    """Newer, the register passed ``register_max`` and started again near zero."""
    RESET = "reset"
    """Newer, but the register went down otherwise (meter replaced or reset): energy 0.0."""
    DUPLICATE = "duplicate"
    """Same timestamp and register as the newest one: nothing new."""
    CONFLICT = "conflict"
    """Same timestamp as the newest one but another register."""
    OUT_OF_ORDER = "out_of_order"
    """Older than the newest one: the caller decides against what is stored."""


_NEXT = Step.NEXT


class Outcome(NamedTuple):
    """What ``classify`` made of a reading (a named tuple: one is built per reading)."""

    step: Step
    energy: float = 0.0
    #: Register of the reading this one was compared with (None for FIRST).
    previous: float | None = None


def interval_energy(previous: float, register: float, seconds: int, meter: Meter | None) -> tuple[Step, float]:
    """Energy between two consecutive readings ``seconds`` apart, and what happened to the register."""
    if register >= previous:
        return Step.NEXT, round((register - previous) * _SCALE) / _SCALE
    top = meter.register_max if meter is not None else None
    if top is not None and top > 0 and previous <= top * (1 + 1e-9):
        energy = register + top - previous
        if meter.rated_kw > 0:  # type: ignore[union-attr] - top is only set with a meter
            limit = meter.rated_kw * max(seconds, 0) / 3600.0 * ROLLOVER_HEADROOM  # type: ignore[union-attr]
        else:
            limit = top * ROLLOVER_FRACTION
        if energy <= limit:
            return Step.ROLLOVER, round(energy * _SCALE) / _SCALE
    return Step.RESET, 0.0


def usual_interval(intervals: tuple[int, ...]) -> int | None:
    """The meter's usual reporting interval (seconds) from its recent intervals."""
    if not intervals:
        return None
    ordered = sorted(intervals)
    return ordered[len(ordered) // 2]


class EnergyTracker:
    """Remembers the newest ``(ts, register)`` of every meter and classifies each new reading.

    Only ``FIRST``, ``NEXT``, ``ROLLOVER`` and ``RESET`` move a meter forward; out-of-order
    readings never do, so a late reading cannot make the next delta count an interval twice.
    Between ``begin()`` and ``commit()`` every change is journaled so that ``rollback()``
    can forget a batch that was not stored after all.
    """

    def __init__(self) -> None:
        #: meter -> (newest ts, its register, recent intervals)
        self._last: dict[str, tuple[int, float, tuple[int, ...]]] = {}
        self._seeded_sites: set[str] = set()
        self._journal: dict[str, tuple[int, float, tuple[int, ...]] | None] | None = None

    def needs_seed(self, site_id: str) -> bool:
        return site_id not in self._seeded_sites

    def seed(self, site_id: str | None, latest: Mapping[str, EnergyPoint]) -> None:
        """Continue from the store's newest points of a site, or of every site (``None``)."""
        for meter_id, point in latest.items():
            known = self._last.get(meter_id)
            if known is None or known[0] < point.ts:
                self._set(meter_id, (point.ts, point.register, known[2] if known else ()))
            if site_id is None:
                self._seeded_sites.add(point.site_id)
        if site_id is not None:
            self._seeded_sites.add(site_id)

    def mark_seeded(self, site_ids: set[str]) -> None:
        """Sites whose newest points are all loaded already (by a seed of every site)."""
        self._seeded_sites |= site_ids

    def classify(self, reading: Reading, meter: Meter | None = None) -> Outcome:
        """Classify ``reading``; advances the meter when the reading is its new newest one."""
        last = self._last.get(reading.meter_id)
        if last is None:
            self._set(reading.meter_id, (reading.ts, reading.register, ()))
            return Outcome(Step.FIRST)
        last_ts, last_register, intervals = last
        ts = reading.ts
        if ts < last_ts:
            return Outcome(Step.OUT_OF_ORDER)
        if ts == last_ts:
            return Outcome(Step.DUPLICATE if reading.register == last_register else Step.CONFLICT)
        seconds = ts - last_ts
        register = reading.register
        if len(intervals) == _INTERVALS_KEPT and intervals[0] == seconds and intervals[1] == seconds and intervals[2] == seconds:
            kept = intervals  # a steady meter: the same intervals again, without building a tuple
        else:
            kept = (*intervals[1 - _INTERVALS_KEPT :], seconds)
        journal = self._journal
        if journal is not None and reading.meter_id not in journal:
            journal[reading.meter_id] = last
        self._last[reading.meter_id] = (ts, register, kept)
        if register >= last_register:  # the common case, without the call below
            return new_record(Outcome, (_NEXT, round((register - last_register) * _SCALE) / _SCALE, last_register))
        step, energy = interval_energy(last_register, register, seconds, meter)
        return Outcome(step, energy, last_register)

    def usual_interval(self, meter_id: str) -> int | None:
        """The meter's usual reporting interval in seconds; None before two readings."""
        last = self._last.get(meter_id)
        return usual_interval(last[2]) if last is not None else None

    def newest(self) -> Iterator[tuple[str, int, int | None]]:
        """``(meter, newest ts, usual interval)`` of every meter seen."""
        for meter_id, (ts, _register, intervals) in self._last.items():
            yield meter_id, ts, usual_interval(intervals)

    def begin(self) -> None:
        self._journal = {}

    def commit(self) -> None:
        self._journal = None

    def rollback(self) -> None:
        """Undo every change since ``begin()``."""
        if self._journal is None:
            return
        for meter_id, before in self._journal.items():
            if before is None:
                self._last.pop(meter_id, None)
            else:
                self._last[meter_id] = before
        self._journal = None

    def _set(self, meter_id: str, state: tuple[int, float, tuple[int, ...]]) -> None:
        journal = self._journal
        if journal is not None and meter_id not in journal:
            journal[meter_id] = self._last.get(meter_id)
        self._last[meter_id] = state
