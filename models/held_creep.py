"""``HeldCreep``: what a found base-load creep is followed by from pass to pass.

As the 28-day window slides, a creep's lowest days become its own first climbing days;
measured from there it would look smaller and later every pass. The scanner keeps, per
meter, the level and start it was found with, and measures it against them
(:meth:`models.creep.BaseLoadCreep.follow`) until it is gone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.creep import DAY_HOURS, MIN_NOISE_UNITS, Creep, day_noise


@dataclass(frozen=True, slots=True)
class HeldCreep:
    """What a found creep is followed by: its start (epoch seconds), the quiet level of each day
    kind it was found against, the day-to-day noise of the base load then, and how fast it climbed
    (rise per day from its start to when it was found)."""

    start_ts: int
    level_off: float
    level_working: float
    noise: float
    climb: float

    def reference(self, kinds: np.ndarray) -> np.ndarray:
        """Each day's level by its kind (``kinds`` from :meth:`BaseLoadCreep.day_kinds`)."""
        return np.where(kinds, self.level_working, self.level_off)

    def is_level(self, base: np.ndarray, reference: np.ndarray, days: np.ndarray) -> bool:
        """True when the window's reference ``days`` (from :meth:`BaseLoadCreep.reference_days`)
        are flat about their ``reference``: a spread within MIN_NOISE_UNITS of the noise and
        within one day of the creep's climb, both as they were when it was found.

        While the window's lowest days are the creep's own climb they are not flat, and the creep
        is followed from where it was found; while they are a level (its quiet days, or a
        chiller's nights settled higher with the season before it climbed), the window's own
        view is as good. The noise is the one from when it was found: the window's own, taken
        over the climb, grows with it.
        """
        dev = base - reference
        spread = dev[days & ~np.isnan(dev)]
        return bool(spread.size > 0 and np.ptp(spread) <= min(MIN_NOISE_UNITS * self.noise, self.climb))

    @classmethod
    def of(cls, start_ts: int, found: Creep, base: np.ndarray, reference: np.ndarray, kinds: np.ndarray) -> HeldCreep:
        """The creep ``found`` from ``start_ts`` in one meter's daily ``base`` against its
        ``reference`` column (a day kind absent from the window takes the other's level)."""
        off = reference[~kinds][-1] if (~kinds).any() else reference[-1]
        working = reference[kinds][-1] if kinds.any() else reference[-1]
        days = max(found.excess.size / DAY_HOURS, 1.0)
        return cls(int(start_ts), float(off), float(working), day_noise(base - reference) or 0.0, found.rise_kwh_per_hour / days)
