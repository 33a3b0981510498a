"""Deterministic meter readings, step by step, with waste injected and accounted for."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from core.domain import GAS_CATEGORIES, Meter, Reading
from simulators.load import KWH_PER_M3_GAS, MAX_LOAD, expected_kw, noisy_kw
from simulators.portfolio import Portfolio
from simulators.schedules import site_context
from simulators.waste import WasteEvent

#: Meters report registers and power to this resolution (0.01 kWh / m3 / kW).
RESOLUTION_DIGITS = 2
#: Range of the seeded starting register: meters installed years ago, never at zero.
INITIAL_REGISTER = (1_000.0, 80_000.0)


class Generation(Iterator[tuple[int, list[Reading]]]):
    """Iterator of ``(ts, readings)`` at ``start, start + step_s, ...`` before ``end``.

    The reading at ``ts`` carries the register after the interval ``[ts - step_s, ts)``
    and that interval's mean power; the first reading is the starting register.
    ``wasted_kwh`` grows as steps are produced: the extra energy each event has
    actually added to the registers published so far.
    """

    def __init__(
        self,
        portfolio: Portfolio,
        start: int,
        end: int,
        step_s: int = 900,
        waste: Iterable[WasteEvent] = (),
        seed: int = 0,
    ) -> None:
        if step_s <= 0:
            raise ValueError("step_s must be positive")
        self.portfolio = portfolio
        self.start, self.end, self.step_s, self.seed = int(start), int(end), int(step_s), seed
        self.waste = list(waste)
        self.wasted_kwh = [0.0] * len(self.waste)
        self._events_by_meter: dict[str, list[int]] = {}
        for i, event in enumerate(self.waste):
            meter = portfolio.meter(event.meter_id)  # KeyError: an event on an unknown meter
            if meter.site_id != event.site_id or event.end <= event.start or event.extra_kw < 0:
                raise ValueError(f"inconsistent waste event {event}")
            self._events_by_meter.setdefault(event.meter_id, []).append(i)
        self._meters = list(portfolio.all_meters())
        rng = np.random.default_rng([seed, 0x4E6])
        low, high = INITIAL_REGISTER
        self._registers = {m.meter_id: float(rng.uniform(low, high)) for m in self._meters}
        # Noise has its own stream, drawn the same way with or without waste, so a run
        # with an injected event differs from one without only by that event.
        self._noise = np.random.default_rng([seed, 0x9015E])
        self._next_ts = self.start

    def __iter__(self) -> Generation:
        return self

    @property
    def n_steps(self) -> int:
        """Number of steps the whole generation yields."""
        return max(0, -(-(self.end - self.start) // self.step_s))

    def events(self) -> list[tuple[WasteEvent, float]]:
        """Each waste event with the kWh it has added so far."""
        return list(zip(self.waste, self.wasted_kwh))

    def _extra_kwh(self, meter: Meter, base_kw: float, t0: int, t1: int, count: bool) -> float:
        headroom = max(0.0, meter.rated_kw * MAX_LOAD - base_kw)
        total = 0.0
        for i in self._events_by_meter.get(meter.meter_id, ()):
            event = self.waste[i]
            seconds = event.overlap(t0, t1)
            if not seconds:
                continue
            # Load cannot exceed the circuit's capacity; only what fits is added (and counted).
            kw = min(event.extra_kw, headroom)
            headroom -= kw * seconds / (t1 - t0)
            kwh = kw * seconds / 3600.0
            if count:
                self.wasted_kwh[i] += kwh
            total += kwh
        return total

    def __next__(self) -> tuple[int, list[Reading]]:
        ts = self._next_ts
        if ts >= self.end:
            raise StopIteration
        self._next_ts += self.step_s
        t0 = ts - self.step_s
        first = ts == self.start
        z = self._noise.standard_normal(len(self._meters))
        readings: list[Reading] = []
        k = 0
        for site in self.portfolio.sites:
            ctx = site_context(site, t0, ts, self.seed)
            for meter in self.portfolio.meters[site.site_id]:
                base_kw = noisy_kw(meter, expected_kw(meter, site, ctx), float(z[k]))
                k += 1
                kwh = base_kw * ctx.hours + self._extra_kwh(meter, base_kw, t0, ts, count=not first)
                if not first:
                    gas = meter.category in GAS_CATEGORIES
                    self._registers[meter.meter_id] += kwh / KWH_PER_M3_GAS if gas else kwh
                power = None if meter.category in GAS_CATEGORIES else round(kwh / ctx.hours, RESOLUTION_DIGITS)
                readings.append(
                    Reading(
                        site_id=site.site_id,
                        meter_id=meter.meter_id,
                        ts=ts,
                        register=round(self._registers[meter.meter_id], RESOLUTION_DIGITS),
                        power_kw=power,
                    )
                )
        return ts, readings


def generate(
    portfolio: Portfolio,
    start: int,
    end: int,
    step_s: int = 900,
    waste: Iterable[WasteEvent] = (),
    seed: int = 0,
) -> Generation:
    """Readings of every meter at each step in ``[start, end)``; see :class:`Generation`."""
    return Generation(portfolio, start, end, step_s=step_s, waste=waste, seed=seed)
