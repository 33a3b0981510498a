"""Deterministic meter readings, step by step and vectorised across meters, with events injected."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from core.domain import GAS_CATEGORIES, Reading
from core.timebase import DAY, HOUR
from simulators.context import SiteTable
from simulators.load import KWH_PER_M3_GAS, LoadModel
from simulators.meters import initial_registers, resolution_of
from simulators.portfolio import Portfolio
from simulators.realism import Realism
from simulators.registers import RegisterBank
from simulators.timeline import WasteLoad
from simulators.waste import WASTE, WasteEvent

#: Power is reported to this many decimals (kW).
RESOLUTION_DIGITS = 2


@dataclass(frozen=True, slots=True)
class Step:
    """One step's readings as columns: ``meters`` indexes ``Generation.meters``.

    ``power`` is NaN for meters that report none (gas). Meters in a dropout are absent.
    """

    ts: int
    meters: np.ndarray
    register: np.ndarray
    power: np.ndarray


class Generation(Iterator[tuple[int, list[Reading]]]):
    """Iterator of ``(ts, readings)`` at ``start, start + step_s, ...`` before ``end``.

    The reading at ``ts`` carries the register after the interval ``[ts - step_s, ts)``
    and that interval's mean power; the first reading is the starting register.
    ``wasted_kwh`` grows as steps are produced: the extra energy each event has
    actually added to the registers published so far. ``next_step()`` yields the same
    readings as columns, for callers that handle many meters.
    """

    def __init__(
        self,
        portfolio: Portfolio,
        start: int,
        end: int,
        step_s: int = 900,
        waste: Iterable[WasteEvent] = (),
        seed: int = 0,
        realism: Realism | None = None,
    ) -> None:
        if step_s <= 0 or step_s > DAY:
            raise ValueError("step_s must be between 1 and 86400 seconds")
        self.portfolio = portfolio
        self.start, self.end, self.step_s, self.seed = int(start), int(end), int(step_s), seed
        self.waste = list(waste)
        self.meters = list(portfolio.all_meters())
        index = {m.meter_id: i for i, m in enumerate(self.meters)}
        for event in self.waste:
            meter = portfolio.meter(event.meter_id)  # KeyError: an event on an unknown meter
            if (
                meter.site_id != event.site_id
                or event.end <= event.start
                or event.extra_kw < 0
                or (event.ramp_end is not None and event.ramp_end <= event.start)
            ):
                raise ValueError(f"inconsistent waste event {event}")
        self.meter_ids = [m.meter_id for m in self.meters]
        self.site_ids = [m.site_id for m in self.meters]
        site_pos = {s.site_id: i for i, s in enumerate(portfolio.sites)}
        self.site_of_meter = np.array([site_pos[m.site_id] for m in self.meters], dtype=np.int64)
        self.realism = realism or Realism()
        self.sites = SiteTable(portfolio.sites, seed, self.realism)
        self.load = LoadModel(
            self.site_of_meter,
            [portfolio.profile(m.meter_id) for m in self.meters],
            [m.category for m in self.meters],
            np.array([m.rated_kw for m in self.meters], dtype=float),
            self.sites.type_idx,
            self.sites.district_heating,
        )
        gas = np.array([m.category in GAS_CATEGORIES for m in self.meters], dtype=bool)
        self._units_per_kwh = np.where(gas, 1.0 / KWH_PER_M3_GAS, 1.0)
        self._reports_power = ~gas
        waste_events = [e for e in self.waste if e.event_class == WASTE]
        self._waste_pos = np.array([i for i, e in enumerate(self.waste) if e.event_class == WASTE], dtype=np.int64)
        self._waste = WasteLoad(waste_events, index, self.site_of_meter, len(self.meters))
        self.wasted_kwh = [0.0] * len(self.waste)
        self.registers = RegisterBank(
            initial_registers(self.meters, np.random.default_rng([seed, 0x4E6])),
            np.array([m.register_max if m.register_max is not None else np.nan for m in self.meters]),
            np.array([resolution_of(m) for m in self.meters]),
            [e for e in self.waste if e.event_class != WASTE],
            index,
            seed,
        )
        if self.registers.planned_rollovers:
            self.registers.aim_rollovers(self._estimate_units, self.start)
        # Noise has its own stream, drawn the same way with or without events, so a run
        # with an injected event differs from one without only by that event.
        self._noise = np.random.default_rng([seed, 0x9015E])
        self._z = np.zeros(len(self.meters))
        self.load.noise_sd = self.load.noise_sd * self.realism.noise_scale
        self._next_ts = self.start

    def __iter__(self) -> Generation:
        return self

    @property
    def n_steps(self) -> int:
        """Number of steps the whole generation yields."""
        return max(0, -(-(self.end - self.start) // self.step_s))

    def events(self) -> list[tuple[WasteEvent, float]]:
        """Each event with the kWh it has added so far; rollovers as they actually happened."""
        planned = [(e, kwh) for e, kwh in zip(self.waste, self.wasted_kwh, strict=True) if e.kind != "register_rollover"]
        return planned + [(e, 0.0) for e in self.registers.rollovers_seen(self.meters, self.step_s)]

    def _estimate_units(self, meters: np.ndarray, until: np.ndarray) -> np.ndarray:
        """Expected register units each meter counts from the start until ``until`` (no noise)."""
        # Sampled at a stride that is not a whole number of hours, so samples cover the day.
        samples = 61
        horizon = float(until.max() - self.start)
        rate = np.zeros(len(self.meters))
        for k in range(samples):
            t0 = self.start + int(horizon * (k + 0.5) / samples)
            rate += self.load.expected_kw(self.sites.context(t0, t0 + self.step_s))
        mean_kw = rate[meters] / samples
        return mean_kw * (until - self.start) / HOUR * self._units_per_kwh[meters]

    def next_step(self) -> Step:
        """The next step's readings as columns; StopIteration after the last one."""
        ts = self._next_ts
        if ts >= self.end:
            raise StopIteration
        self._next_ts += self.step_s
        t0 = ts - self.step_s
        first = ts == self.start
        ctx = self.sites.context(t0, ts)
        z = self._noise.standard_normal(len(self.meters))
        expected = self.load.expected_kw(ctx)
        rho = self.realism.noise_rho
        if rho:
            # Noise that persists over hours, as real loads' deviations from their usual do.
            z = self._z = rho * self._z + np.sqrt(1.0 - rho * rho) * z
        if self.realism.day_sd:
            expected = expected * self._day_level(ts)[self.site_of_meter]
        base_kw = self.load.noisy_kw(expected, z)
        extra_kw, active, added_kw = self._waste.step(t0, ts, ctx.open_frac, base_kw, self.load.cap_kw)
        kw = base_kw + extra_kw
        if not first:
            hours = ctx.hours
            for pos, kwh in zip(self._waste_pos[active].tolist(), (added_kw * hours).tolist(), strict=True):
                self.wasted_kwh[pos] += kwh
            self.registers.advance(ts, kw * hours * self._units_per_kwh)
        register, shown = self.registers.reading(ts)
        power = np.where(self._reports_power, np.round(kw, RESOLUTION_DIGITS), np.nan)
        return Step(ts, shown, register[shown], power[shown])

    def _day_level(self, ts: int) -> np.ndarray:
        """Each site's level that day (busier or quieter days), interpolated between days so it
        changes smoothly (its nodes fall at UTC midnights: where in the day does not matter)."""
        days = ts / DAY
        d0 = int(np.floor(days))
        w = days - d0

        def level(day: int) -> np.ndarray:
            rng = np.random.default_rng([self.seed, 0xDA7, day])
            return rng.normal(0.0, self.realism.day_sd, len(self.sites.sites))

        return np.clip(1.0 + level(d0) * (1.0 - w) + level(d0 + 1) * w, 0.5, 1.5)

    def readings(self, step: Step) -> list[Reading]:
        """The step's readings as Reading objects."""
        ids, sites = self.meter_ids, self.site_ids
        return [
            Reading(sites[i], ids[i], step.ts, r, None if p != p else p)
            for i, r, p in zip(step.meters.tolist(), step.register.tolist(), step.power.tolist(), strict=True)
        ]

    def __next__(self) -> tuple[int, list[Reading]]:
        step = self.next_step()
        return step.ts, self.readings(step)


def generate(
    portfolio: Portfolio,
    start: int,
    end: int,
    step_s: int = 900,
    waste: Iterable[WasteEvent] = (),
    seed: int = 0,
    realism: Realism | None = None,
) -> Generation:
    """Readings of every meter at each step in ``[start, end)``; see :class:`Generation`."""
    return Generation(portfolio, start, end, step_s=step_s, waste=waste, seed=seed, realism=realism)
