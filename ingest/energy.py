"""Turning cumulative registers into interval energy, one meter at a time."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from core.domain import EnergyPoint, Meter, Reading, new_record
from core.timebase import HOUR

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
#: A register may rise by at most this multiple of the meter's rated power over the time
#: since it last changed. Loads run above their rating only briefly (inrush, overload), so
#: 4x over a whole interval already means a wrong rating or a wrong register; a rating
#: announced too low would make a meter's every reading a dead letter (visible at once, and
#: kept there), while a limit set too high lets a swapped or corrupted register through as
#: up to this many times the meter's real consumption. Timing from the register's last
#: change, not the last reading, lets a register that froze and caught up keep its energy.
RISE_HEADROOM = 4.0
#: Power (kW) assumed when a meter has no rating, and the most any rating counts for: more
#: than the grid connection of any site kilowatch watches, yet a reading of 1e308 kWh (or a
#: corrupted digit of a 6-digit register) over any interval a gateway reports is still far above it.
UNRATED_KW = 100_000.0
#: Register units any rise may have whatever the rating: a register that shows whole kWh
#: moves a full step at once, however small the meter (larger meters with coarser steps,
#: 0.01 kWh times a CT ratio, have limits far above their step).
RISE_SLACK = 1.0
#: No meter shows more than 12 integer digits: a register above this is a corrupt value,
#: even as a meter's first reading (which has nothing to be compared with).
REGISTER_CEILING = 1e12
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
    IMPLAUSIBLE = "implausible"
    """Higher than the meter can count since the last reading (or above ``REGISTER_CEILING``):
    not stored, and the meter does not move."""


_NEXT = Step.NEXT


class Outcome(NamedTuple):
    """What ``classify`` made of a reading (a named tuple: one is built per reading)."""

    step: Step
    energy: float = 0.0
    #: Register of the reading this one was compared with (None for FIRST).
    previous: float | None = None


def rise_limit(meter: Meter | None, seconds: float) -> float:
    """The most a register of ``meter`` may plausibly rise in ``seconds``."""
    rated = meter.rated_kw if meter is not None else 0.0
    kw = min(rated * RISE_HEADROOM, UNRATED_KW) if rated > 0 else UNRATED_KW  # NaN is no rating
    return kw * max(seconds, 0) / HOUR + RISE_SLACK


def interval_energy(previous: float, register: float, seconds: int, meter: Meter | None) -> tuple[Step, float]:
    """Energy between two consecutive readings, and what happened to the register.

    ``seconds``: since the register last changed (a frozen register that catches up may
    have counted all that time), or since the previous reading.
    """
    if register >= previous:
        delta = register - previous
        if delta > RISE_SLACK and (delta > rise_limit(meter, seconds) or register > REGISTER_CEILING):
            return Step.IMPLAUSIBLE, 0.0
        return Step.NEXT, round(delta * _SCALE) / _SCALE
    top = meter.register_max if meter is not None else None
    if meter is not None and top is not None and top > 0 and previous <= top * (1 + 1e-9):
        energy = register + top - previous
        if meter.rated_kw > 0:
            limit = meter.rated_kw * max(seconds, 0) / HOUR * ROLLOVER_HEADROOM
        else:
            limit = top * ROLLOVER_FRACTION
        if energy <= limit and energy <= REGISTER_CEILING:  # a register_max of 1e308 must not overflow round()
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
    and implausible readings never do, so a late reading cannot make the next delta count an
    interval twice and a corrupt one cannot become the base of the next.
    A meter whose register really starts again higher (a replacement counting from where the
    new meter stood) would be refused for good by that rule; so an implausible reading is
    remembered, and the next one that rises plausibly from it is a ``RESET`` from there.
    Between ``begin()`` and ``commit()`` every change is journaled so that ``rollback()``
    can forget a batch that was not stored after all.
    """

    def __init__(self) -> None:
        #: meter -> (newest ts, its register, recent intervals, ts the register last changed)
        self._last: dict[str, tuple[int, float, tuple[int, ...], int]] = {}
        #: meter -> (ts, register) of its latest implausible reading since its newest one
        self._jumped: dict[str, tuple[int, float]] = {}
        self._seeded_sites: set[str] = set()
        self._journal: dict[str, tuple[int, float, tuple[int, ...], int] | None] | None = None
        self._jump_journal: dict[str, tuple[int, float] | None] = {}

    def needs_seed(self, site_id: str) -> bool:
        return site_id not in self._seeded_sites

    def seed(self, site_id: str | None, latest: Mapping[str, EnergyPoint]) -> None:
        """Continue from the store's newest points of a site, or of every site (``None``)."""
        for meter_id, point in latest.items():
            known = self._last.get(meter_id)
            if known is None or known[0] < point.ts:
                self._set(meter_id, (point.ts, point.register, known[2] if known else (), point.ts))
            if site_id is None:
                self._seeded_sites.add(point.site_id)
        if site_id is not None:
            self._seeded_sites.add(site_id)

    def mark_seeded(self, site_ids: set[str]) -> None:
        """Sites whose newest points are all loaded already (by a seed of every site)."""
        self._seeded_sites |= site_ids

    def classify(self, reading: Reading, meter: Meter | None = None) -> Outcome:
        """Classify ``reading``; advances the meter when the reading is its new newest one."""
        meter_id = reading.meter_id
        last = self._last.get(meter_id)
        register = reading.register
        ts = reading.ts
        if last is None:
            return self._first(reading)
        last_ts, last_register, intervals, changed = last
        if ts < last_ts:
            return Outcome(Step.OUT_OF_ORDER)
        if ts == last_ts:
            return Outcome(Step.DUPLICATE if register == last_register else Step.CONFLICT)
        seconds = ts - last_ts
        if register >= last_register:  # the common case, without the calls below
            delta = register - last_register
            if delta > RISE_SLACK and (delta > rise_limit(meter, ts - changed) or register > REGISTER_CEILING):
                return self._jump(reading, meter, last)
            if delta:
                changed = ts
            step, energy = _NEXT, round(delta * _SCALE) / _SCALE
        else:
            step, energy = interval_energy(last_register, register, ts - changed, meter)
            changed = ts
        if len(intervals) == _INTERVALS_KEPT and intervals[0] == seconds and intervals[1] == seconds and intervals[2] == seconds:
            kept = intervals  # a steady meter: the same intervals again, without building a tuple
        else:
            kept = (*intervals[1 - _INTERVALS_KEPT :], seconds)
        journal = self._journal
        if journal is not None and meter_id not in journal:
            journal[meter_id] = last
        self._last[meter_id] = (ts, register, kept, changed)
        if self._jumped and meter_id in self._jumped:
            self._set_jumped(meter_id, None)  # the jump was a one-off: forget it
        return new_record(Outcome, (step, energy, last_register))

    def classify_all(self, pairs: Iterable[tuple[Reading, Meter, *tuple[object, ...]]]) -> list[float | Outcome]:
        """``classify`` of each ``(reading, meter, ...)`` in order, in one pass.

        The common case, a meter counting on (most of a gateway batch), gives its energy as a
        float, judged by the same rules and with the same state changes as ``classify``, which
        takes every other reading and gives its ``Outcome`` (a ``NEXT`` one after a jump too).
        """
        last_of, jumped, journal = self._last, self._jumped, self._journal
        classify = self.classify
        out: list[float | Outcome] = []
        append = out.append
        for pair in pairs:
            reading, meter = pair[0], pair[1]
            _site, meter_id, ts, register, _power = reading
            last = last_of.get(meter_id)
            if last is None or (jumped and meter_id in jumped):
                append(classify(reading, meter))
                continue
            last_ts, last_register, intervals, changed = last
            delta = register - last_register
            if (
                ts <= last_ts
                or not delta >= 0  # a NaN register too, as classify() judges it
                or (delta > RISE_SLACK and (delta > rise_limit(meter, ts - changed) or register > REGISTER_CEILING))
            ):
                append(classify(reading, meter))
                continue
            seconds = ts - last_ts
            if delta:
                changed = ts
            if not (len(intervals) == _INTERVALS_KEPT and intervals[0] == intervals[1] == intervals[2] == seconds):
                intervals = (*intervals[1 - _INTERVALS_KEPT :], seconds)
            if journal is not None and meter_id not in journal:
                journal[meter_id] = last
            last_of[meter_id] = (ts, register, intervals, changed)
            append(round(delta * _SCALE) / _SCALE)
        return out

    def _first(self, reading: Reading) -> Outcome:
        """The first reading of a meter: where it starts, unless its register is past any meter's."""
        if reading.register > REGISTER_CEILING:
            return Outcome(Step.IMPLAUSIBLE)
        self._set(reading.meter_id, (reading.ts, reading.register, (), reading.ts))
        return Outcome(Step.FIRST)

    def _jump(self, reading: Reading, meter: Meter | None, last: tuple[int, float, tuple[int, ...], int]) -> Outcome:
        """An implausible rise; a ``RESET`` instead when it rises plausibly from the previous implausible reading."""
        meter_id, ts, register = reading.meter_id, reading.ts, reading.register
        jumped = self._jumped.get(meter_id)
        if jumped is not None and jumped[0] < ts and register <= REGISTER_CEILING:
            step, _energy = interval_energy(jumped[1], register, ts - jumped[0], meter)
            if step is _NEXT:
                # Two readings agree with each other and not with the meter's past: the
                # register counts from a new level now (a replaced meter). Energy 0.0, as a reset.
                self._set_jumped(meter_id, None)
                self._set(meter_id, (ts, register, last[2], ts))
                return Outcome(Step.RESET, 0.0, last[1])
        self._set_jumped(meter_id, (ts, register))
        return Outcome(Step.IMPLAUSIBLE, 0.0, last[1])

    def newest_ts(self, meter_id: str) -> int | None:
        """Timestamp of the meter's newest reading, None when none is known."""
        last = self._last.get(meter_id)
        return last[0] if last is not None else None

    def usual_interval(self, meter_id: str) -> int | None:
        """The meter's usual reporting interval in seconds; None before two readings."""
        last = self._last.get(meter_id)
        return usual_interval(last[2]) if last is not None else None

    def newest(self) -> Iterator[tuple[str, int, int | None]]:
        """``(meter, newest ts, usual interval)`` of every meter seen."""
        for meter_id, (ts, _register, intervals, _changed) in self._last.items():
            yield meter_id, ts, usual_interval(intervals)

    def begin(self) -> None:
        self._journal = {}
        self._jump_journal = {}

    def commit(self) -> None:
        self._journal = None
        self._jump_journal = {}

    def rollback(self) -> None:
        """Undo every change since ``begin()``."""
        if self._journal is None:
            return
        for meter_id, before in self._journal.items():
            if before is None:
                self._last.pop(meter_id, None)
            else:
                self._last[meter_id] = before
        for meter_id, jumped in self._jump_journal.items():
            if jumped is None:
                self._jumped.pop(meter_id, None)
            else:
                self._jumped[meter_id] = jumped
        self._journal = None
        self._jump_journal = {}

    def _set(self, meter_id: str, state: tuple[int, float, tuple[int, ...], int]) -> None:
        journal = self._journal
        if journal is not None and meter_id not in journal:
            journal[meter_id] = self._last.get(meter_id)
        self._last[meter_id] = state

    def _set_jumped(self, meter_id: str, jumped: tuple[int, float] | None) -> None:
        if self._journal is not None and meter_id not in self._jump_journal:
            self._jump_journal[meter_id] = self._jumped.get(meter_id)
        if jumped is None:
            self._jumped.pop(meter_id, None)
        else:
            self._jumped[meter_id] = jumped
