"""A waste finding: one episode on one meter with its energy, money and carbon, ready to store."""

from __future__ import annotations

from dataclasses import dataclass

from models.explain import Explanation

#: Waste rate relative to the meter's rated power: (ratio, severity), highest first.
#: Half the rated power wasted is a whole second machine running; a fifth is a zone
#: left on. Below that the waste is real but can wait for the weekly review.
SEVERITY_OF_RATED = ((0.5, "high"), (0.2, "medium"))
#: Waste rate relative to the expected draw, for meters without a rated power.
SEVERITY_OF_EXPECTED = ((1.0, "high"), (0.4, "medium"))
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}


def severity(wasted_kwh: float, hours: int, *, rated_kw: float, expected_kwh: float) -> str:
    """low | medium | high from the mean excess power against rated (or expected) power."""
    excess_kw = wasted_kwh / max(hours, 1)
    if rated_kw > 0:
        ratio, table = excess_kw / rated_kw, SEVERITY_OF_RATED
    else:
        ratio, table = excess_kw / max(expected_kwh / max(hours, 1), 1e-6), SEVERITY_OF_EXPECTED
    return next((label for floor, label in table if ratio >= floor), "low")


@dataclass(frozen=True, slots=True)
class WasteEpisode:
    """One waste episode on one meter with its energy, cost and carbon, ready to store."""

    site_id: str
    meter_id: str
    category: str
    kind: str
    check: str
    severity: str
    started_at: int
    ended_at: int
    #: Data time at which the episode first had enough evidence (end of that hour).
    detected_at: int
    ongoing: bool
    actual_kwh: float
    expected_kwh: float
    wasted_kwh: float
    cost_cny: float
    co2e_kg: float
    factor_kg_per_kwh: float
    factor_source: str
    #: Stored as the alert's JSON explanation by the alert book.
    explanation: Explanation
    #: Local hours of day (0-23) of the episode's excess hours, for matching suppressions.
    local_hours: tuple[int, ...] = ()


#: Alert columns a newer measurement of the same episode replaces (the explanation as its JSON).
UPDATED_FIELDS = (
    "severity",
    "started_at",
    "ended_at",
    "ongoing",
    "actual_kwh",
    "expected_kwh",
    "wasted_kwh",
    "cost_cny",
    "co2e_kg",
    "factor_kg_per_kwh",
    "factor_source",
    "explanation",
)
