"""Late readings: placing readings older than a meter's newest among its stored points.

Gateways upload buffered history after an outage, so a reading older than its meter's
newest is the normal case, not an oddity. Each gets the energy since the point before it,
and the point after it the energy since it: the energies over the span still add up to
its last register minus its first, and each interval's energy lies in its own interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from core.domain import EnergyPoint, Meter
from ingest.energy import REGISTER_CEILING, Step, interval_energy


class Placed(NamedTuple):
    """A point of a late block with the energy it gets, and how its register moved."""

    point: EnergyPoint
    step: Step
    #: Register of the point before it (None for the meter's first).
    previous: float | None


def place_late(series: Sequence[EnergyPoint], new: set[int], meter: Meter | None) -> tuple[list[Placed], list[int]]:
    """Energies of late points inserted into one meter's series, and of the point after each.

    ``series``: the meter's points ordered by ts, the late ones (timestamps ``new``, energy
    not yet known) among the stored ones around them, including the stored point before the
    earliest and the one after the latest. Each late point gets the energy since its
    predecessor and each point right after a late one the energy since that late one, so
    the energies over the span still add up to the last register minus the first.

    A late point that rises implausibly from its predecessor, or makes its stored successor
    rise implausibly when it did not before, is refused: returned as the second value
    (timestamps), left out of the series, never given energy.
    """
    kept = list(series)
    refused = []
    while (misfit := _misfit(kept, new, meter)) is not None:
        refused.append(kept.pop(misfit).ts)
    placed = []
    previous: EnergyPoint | None = None
    changed = 0  # when the register last changed: a frozen register may catch up
    after_new = False
    for point in kept:
        is_new = point.ts in new
        if is_new or after_new:
            step, energy = Step.FIRST, 0.0
            if previous is not None:
                step, energy = interval_energy(previous.register, point.register, point.ts - changed, meter)
            placed.append(Placed(point._replace(energy=energy), step, previous.register if previous is not None else None))
        if previous is None or point.register != previous.register:
            changed = point.ts
        after_new, previous = is_new, point
    return placed, refused


def _misfit(series: list[EnergyPoint], new: set[int], meter: Meter | None) -> int | None:
    """Index of the first late point that does not fit between its neighbours, or None."""
    previous: EnergyPoint | None = None
    changed = 0
    for i, point in enumerate(series):
        if point.ts in new:
            if point.register > REGISTER_CEILING:
                return i
            if (
                previous is not None
                and interval_energy(previous.register, point.register, point.ts - changed, meter)[0] is Step.IMPLAUSIBLE
            ):
                return i
            after = series[i + 1] if i + 1 < len(series) else None
            if after is not None and after.ts not in new:
                since = point.ts if previous is None or point.register != previous.register else changed
                if interval_energy(point.register, after.register, after.ts - since, meter)[0] is Step.IMPLAUSIBLE and (
                    previous is None
                    or interval_energy(previous.register, after.register, after.ts - changed, meter)[0] is not Step.IMPLAUSIBLE
                ):
                    return i
        if previous is None or point.register != previous.register:
            changed = point.ts
        previous = point
    return None
