"""Waste kinds follow the meter category and the hours of the excess."""

from __future__ import annotations

import numpy as np

from core.domain import MeterCategory as C
from models.kinds import is_scored, waste_kind


def kind(category: C, local_hours: list[int], daylight: float = 0.0, workday: float = 1.0) -> str:
    n = len(local_hours)
    return waste_kind(category, local_hours=np.array(local_hours), daylight=np.full(n, daylight),
                      workday=np.full(n, workday), excess=np.ones(n))


def test_lighting_in_daylight_is_lights_daylight() -> None:
    assert kind(C.CORRIDOR_LIGHTING, [10, 11, 12], daylight=1.0) == "lights_daylight"


def test_lighting_at_night_is_lights_after_hours() -> None:
    assert kind(C.LOBBY_LIGHTING, [1, 2, 3], daylight=0.0) == "lights_after_hours"


def test_hvac_at_night_or_on_weekends_is_after_hours() -> None:
    assert kind(C.PUBLIC_HVAC, [21, 22, 23]) == "hvac_after_hours"
    assert kind(C.PUBLIC_HVAC, [10, 11, 12], workday=0.0) == "hvac_after_hours"


def test_hvac_during_business_hours_is_baseline_excess() -> None:
    assert kind(C.PUBLIC_HVAC, [10, 11, 12]) == "baseline_excess"


def test_pump_at_night_is_pump_night() -> None:
    assert kind(C.WATER_PUMP, [23, 0, 1, 2]) == "pump_night"


def test_other_categories_are_baseline_excess() -> None:
    assert kind(C.ELEVATOR, [23, 0, 1]) == "baseline_excess"


def test_generation_and_gas_are_not_scored() -> None:
    assert not is_scored(C.PV) and not is_scored(C.GAS)
    assert is_scored(C.CORRIDOR_LIGHTING)
