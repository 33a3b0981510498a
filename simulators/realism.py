"""What a harder scenario adds to the classic simulation: each site's own opening hours that
change, occupancy that drifts, weather with fronts, and noise shaped like real buildings'.

The classic simulation gives every site of a type the same hours (``schedules.OPENING_HOURS``),
a steady occupancy, smooth weather and independent noise per reading: a detector tuned on it
can learn the simulator's tables instead of the building. ``Realism()`` adds nothing; the
constants below are calibrated in docs/simulator-calibration.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from core.domain import Site, SiteType
from core.timebase import DAY
from simulators.schedules import OPENING_HOURS

DAY_KINDS = ("workday", "weekend", "holiday")
WEEK = 7 * DAY
#: Hours by day kind: (open, close) in local hours, None for closed all day.
HoursTable = Mapping[str, "tuple[float, float] | None"]


@dataclass(frozen=True)
class SiteHours:
    """A site's opening hours and when they change: ``periods`` are (from UTC ts, table), ascending."""

    periods: tuple[tuple[int, HoursTable], ...]

    def at(self, ts: int) -> HoursTable:
        table = self.periods[0][1]
        for since, hours in self.periods:
            if since <= ts:
                table = hours
        return table

    @property
    def changes(self) -> tuple[int, ...]:
        return tuple(since for since, _ in self.periods[1:])


@dataclass(frozen=True)
class Realism:
    """Harder, less regular behaviour; the defaults are the classic simulation."""

    #: Per-site opening hours over time (site id -> SiteHours); None: the type tables.
    hours: Mapping[str, SiteHours] | None = None
    #: Standard deviation across sites of the linear drift of activity, as a share per week.
    drift_per_week: float = 0.0
    #: When the drift is zero (the start of the simulation).
    drift_origin: int = 0
    #: Weather with persistent anomalies and fronts instead of independent daily anomalies.
    fronts: bool = False
    #: Lag-one correlation of the per-reading noise (independent when 0).
    noise_rho: float = 0.0
    #: Multiplies every category's noise standard deviation.
    noise_scale: float = 1.0
    #: Standard deviation of a site's day-to-day level (a shared factor on all its meters).
    day_sd: float = 0.0
    seed: int = field(default=0)


def _half_hours(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.integers(int(lo * 2), int(hi * 2) + 1)) / 2.0


#: Ranges the hours of each site type are drawn from: (open lo, open hi, close lo, close hi),
#: and the chance of opening on weekends (types that close then), with shorter hours.
_DRAW: dict[SiteType, tuple[float, float, float, float, float]] = {
    SiteType.RESIDENTIAL: (5.0, 7.5, 21.5, 24.0, 1.0),
    SiteType.OFFICE: (6.5, 9.5, 17.0, 21.5, 0.3),
    SiteType.MALL: (9.0, 11.0, 21.0, 23.5, 1.0),
    SiteType.INDUSTRIAL: (6.0, 9.0, 16.0, 22.0, 0.35),
}


def draw_hours(site: Site, rng: np.random.Generator) -> dict[str, tuple[float, float] | None]:
    """Opening hours drawn at random for a site of its type (not its type's table)."""
    o_lo, o_hi, c_lo, c_hi, p_weekend = _DRAW[site.site_type]
    opens, closes = _half_hours(rng, o_lo, o_hi), _half_hours(rng, c_lo, c_hi)
    week = (opens, closes)
    if p_weekend >= 1.0:
        other: tuple[float, float] | None = week
    elif rng.random() < p_weekend:
        other = (opens + _half_hours(rng, 0.5, 2.0), closes - _half_hours(rng, 1.0, 4.0))
    else:
        other = None
    return {"workday": week, "weekend": other, "holiday": other if site.site_type is not SiteType.OFFICE else None}


def changed_hours(
    hours: dict[str, tuple[float, float] | None], rng: np.random.Generator
) -> dict[str, tuple[float, float] | None]:
    """The same site's hours after a change of season or tenant: longer mostly, sometimes shorter."""
    longer = rng.random() < 0.7
    earlier = _half_hours(rng, 0.0, 1.5) if longer else -_half_hours(rng, 0.0, 1.0)
    later = _half_hours(rng, 0.5, 2.5) if longer else -_half_hours(rng, 0.5, 2.0)
    out = {}
    for kind, h in hours.items():
        out[kind] = None if h is None else (max(0.0, h[0] - earlier), min(24.0, max(h[0] + 4.0, h[1] + later)))
    return out


def random_hours(sites: list[Site], seed: int, change_between: tuple[int, int] | None) -> dict[str, SiteHours]:
    """Each site's hours drawn at random, changed once on a random day in ``change_between``."""
    rng = np.random.default_rng([seed, 0x40125])
    out = {}
    for site in sites:
        first = draw_hours(site, rng)
        periods: list[tuple[int, HoursTable]] = [(0, first)]
        if change_between is not None:
            lo, hi = change_between  # a change takes effect at a whole number of days after ``lo``
            periods.append((lo + DAY * int(rng.integers(0, max(1, (hi - lo) // DAY))), changed_hours(first, rng)))
        out[site.site_id] = SiteHours(tuple(periods))
    return out


def widened_hours(sites: list[Site], at: int, *, earlier: float = 1.0, later: float = 2.0) -> dict[str, SiteHours]:
    """The type tables until ``at``, then every open day ``earlier`` hours earlier and ``later`` later
    (an office's 8-19 becomes 7-21)."""
    out = {}
    for site in sites:
        table = OPENING_HOURS[site.site_type]
        wide = {k: None if h is None else (max(0.0, h[0] - earlier), min(24.0, h[1] + later)) for k, h in table.items()}
        out[site.site_id] = SiteHours(((0, dict(table)), (at, wide)))
    return out


def site_slopes(n_sites: int, realism: Realism) -> np.ndarray:
    """Each site's activity drift per week (a share)."""
    if not realism.drift_per_week:
        return np.zeros(n_sites)
    return np.random.default_rng([realism.seed, 0xD1F7]).normal(0.0, realism.drift_per_week, n_sites)
