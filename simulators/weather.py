"""Weather with memory and fronts: warm and cold spells that last days, and fronts that move
the temperature by several degrees within hours (the realistic scenario's weather)."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np

from simulators.climate import _ANOMALY_SD, Weather

#: Day-to-day persistence of the weather anomaly (lag-one correlation of daily means); 0.75
#: gives spells of three to five days, as synoptic weather in eastern China has.
PERSISTENCE = 0.75
#: Days of past innovations summed (0.75^15 < 0.015: the rest does not matter).
_MEMORY_DAYS = 15
#: Fronts per week and place (a cold front passes eastern China about weekly in spring).
FRONTS_PER_WEEK = 1.0
#: Share of fronts that are cold; a cold front drops 4-10 deg C, a warm one lifts 2-6.
COLD_SHARE = 0.65
_COLD_C, _WARM_C = (4.0, 10.0), (2.0, 6.0)
#: Hours a front takes to pass, and the e-folding hours of the air mass returning to normal.
_PASSAGE_H, _RECOVERY_H = (3.0, 12.0), (24.0, 96.0)
#: Weeks of past fronts still felt (recovery of at most four days e-folding).
_FRONT_WEEKS = 3


class FrontWeather(Weather):
    """Seeded weather whose daily anomaly persists and which fronts cross."""

    def __init__(self, seed: int, places: list[str]) -> None:
        super().__init__(seed, places)
        self._fronts: dict[tuple[int, int], np.ndarray] = {}

    def anomaly(self, ordinal: int) -> np.ndarray:
        """A persistent daily anomaly: an AR(1) of daily innovations, same spread as the classic one."""
        innovation_sd = _ANOMALY_SD * np.sqrt(1.0 - PERSISTENCE**2)

        def make(place: str) -> float:
            # A generator per day, not climate._normal_from: CRC32 hashes of consecutive days are
            # not independent (the classic anomaly holds near one value for days, then jumps).
            return innovation_sd * sum(PERSISTENCE**k * self._innovation(place, ordinal - k) for k in range(_MEMORY_DAYS))

        return self._cached(self._anomaly, ordinal, make)

    def _innovation(self, place: str, ordinal: int) -> float:
        return float(np.random.default_rng([self.seed, zlib.crc32(place.encode()), ordinal, 0xA2]).standard_normal())

    def _week_fronts(self, place: int, week: int) -> np.ndarray:
        """Fronts of one place and week: rows (start hour since epoch, deg C, passage h, recovery h)."""
        key = (place, week)
        fronts = self._fronts.get(key)
        if fronts is None:
            if len(self._fronts) > 64 * len(self.places):
                self._fronts.clear()
            rng = np.random.default_rng([self.seed, zlib.crc32(self.places[place].encode()), week, 0xF407])
            n = int(rng.poisson(FRONTS_PER_WEEK))
            rows = []
            for _ in range(n):
                start = week * 168 + rng.uniform(0.0, 168.0)
                size = -rng.uniform(*_COLD_C) if rng.random() < COLD_SHARE else rng.uniform(*_WARM_C)
                rows.append((start, size, rng.uniform(*_PASSAGE_H), rng.uniform(*_RECOVERY_H)))
            fronts = self._fronts[key] = np.array(rows, dtype=float).reshape(-1, 4)
        return fronts

    def front(self, ordinal: np.ndarray, hour: np.ndarray, place_idx: np.ndarray) -> np.ndarray:
        """Temperature change (deg C) from the fronts at local ``hour`` of day ``ordinal``, per site."""
        t = np.asarray(ordinal) * 24.0 + np.asarray(hour, dtype=float)
        out = np.zeros(t.shape)
        done: dict[tuple[int, float], float] = {}  # sites of one city share their weather
        for i, (p, when) in enumerate(zip(np.asarray(place_idx).tolist(), t.tolist(), strict=True)):
            if (p, when) in done:
                out[i] = done[p, when]
                continue
            week = int(when // 168)
            rows = np.concatenate([self._week_fronts(p, w) for w in range(week - _FRONT_WEEKS, week + 1)])
            dt = when - rows[:, 0]
            past = dt >= 0
            shape = np.clip(dt / rows[:, 2], 0.0, 1.0) * np.exp(-np.maximum(dt - rows[:, 2], 0.0) / rows[:, 3])
            out[i] = done[p, when] = float(np.sum(np.where(past, rows[:, 1] * shape, 0.0)))
        return out


def hourly_temperatures(sites, start: int, end: int) -> Iterator[tuple[int, np.ndarray]]:
    """Each hour start in ``[start, end)`` with every site's outdoor temperature over that hour
    (deg C, in ``sites.sites`` order): what a gateway's outdoor sensor would publish. The
    temperature at the hour's middle, as the load model sees it in a step there."""
    first = -(-int(start) // 3600) * 3600
    for hour in range(first, int(end), 3600):
        yield hour, sites.context(hour, hour + 3600).temp_c
