"""The kinds of energy waste, one name each: what the simulator injects and the detector reports.

The values are wire and database strings (alert ``kind``, ground-truth ``kind``, the API's
filters): never rename one. ``models`` and ``simulators`` both take the names from here, so
neither can drift from the other or teach it.
"""

from __future__ import annotations

from enum import StrEnum


class WasteKind(StrEnum):
    """A kind of waste, in the order the simulator's plans draw them (BASELINE_EXCESS last)."""

    LIGHTS_DAYLIGHT = "lights_daylight"
    LIGHTS_AFTER_HOURS = "lights_after_hours"
    HVAC_AFTER_HOURS = "hvac_after_hours"
    PUMP_NIGHT = "pump_night"
    BASE_LOAD_CREEP = "base_load_creep"
    ELEVATOR_IDLE = "elevator_idle"
    COMPRESSED_AIR_LEAK = "compressed_air_leak"
    #: The detector's name for excess that no targeted check claims; never injected.
    BASELINE_EXCESS = "baseline_excess"

    def __repr__(self) -> str:
        # Inside a dict or tuple (a report's setup line, a log) it reads as the wire string it is.
        return repr(self.value)


#: The kinds a simulator can inject (all but BASELINE_EXCESS), in WasteKind's order.
INJECTABLE = tuple(k for k in WasteKind if k is not WasteKind.BASELINE_EXCESS)
