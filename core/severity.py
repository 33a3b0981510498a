"""How urgent an alert is, from what is at stake: energy, money and how long the waste has run.

The detector labels a finding by its waste *rate* against the meter's rated power, so a
small meter left on is "high" and a chiller wasting 400 kWh can be "medium". A facility
manager triages by what the waste costs, so the severity the API serves is this rule,
one function of the alert's kWh, CNY and duration (``docs/api.md`` "Severity").
"""

from __future__ import annotations

from typing import NamedTuple

from core.timebase import HOUR


class Floor(NamedTuple):
    """An alert reaching any of these is at least ``level``."""

    level: str
    wasted_kwh: float
    cost_cny: float
    #: None: duration alone never reaches this level (a long trickle is not an emergency).
    hours: float | None


#: Highest first. High: about a working day of a large plant room running for nothing
#: (150 kWh, ~¥130 at commercial tariffs) is worth sending someone now. Medium: a zone left
#: on overnight (20 kWh / ¥15), or any waste that has run a full day, which says a timer or
#: setting is wrong rather than a one-off. Below that it waits for the weekly review.
FLOORS = (
    Floor("high", 150.0, 120.0, None),
    Floor("medium", 20.0, 15.0, 24.0),
)


def public_severity(wasted_kwh: float, cost_cny: float, duration_s: float) -> str:
    """low | medium | high from the energy and money wasted and the episode's length."""
    for floor in FLOORS:
        if wasted_kwh >= floor.wasted_kwh or cost_cny >= floor.cost_cny:
            return floor.level
        if floor.hours is not None and duration_s >= floor.hours * HOUR:
            return floor.level
    return "low"
