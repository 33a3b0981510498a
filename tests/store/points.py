"""Energy points for store tests: one fixed day and a terse constructor."""

from __future__ import annotations

from core.domain import EnergyPoint

#: 2026-03-02T00:00:00Z; every test's points lie in the day after it.
T0 = 1_772_409_600
DAY = 86_400
#: Range arguments covering every point a test writes.
EVERYTHING = {"start": T0 - DAY, "end": T0 + 2 * DAY}


def pt(
    meter: str, ts: int, register: float = 1.0, energy: float = 0.5, site: str = "s1", category: str = "elevator"
) -> EnergyPoint:
    """A point of meter ``meter`` at ``ts``; everything else defaulted."""
    return EnergyPoint(site_id=site, meter_id=meter, category=category, ts=ts, register=register, energy=energy)
