"""The kinds of waste an alert names (``AlertRecord.kind``), as the detector finds them.

models/kinds.py decides which hours are which kind; core/categories.py says which kinds
each meter category can have; the explanations and the dashboard label them.
"""

from __future__ import annotations

import enum

__all__ = ["WasteKind"]


class WasteKind(enum.StrEnum):
    LIGHTS_DAYLIGHT = "lights_daylight"
    LIGHTS_AFTER_HOURS = "lights_after_hours"
    HVAC_AFTER_HOURS = "hvac_after_hours"
    PUMP_NIGHT = "pump_night"
    ELEVATOR_IDLE = "elevator_idle"
    COMPRESSED_AIR_LEAK = "compressed_air_leak"
    BASE_LOAD_CREEP = "base_load_creep"
    #: Excess over the baseline that no targeted check names.
    BASELINE_EXCESS = "baseline_excess"
