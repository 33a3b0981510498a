"""The meter categories: one row each with its labels, unit and the waste checks that apply.

Adding a category is adding a member and a row here (and teaching the simulator's load
model its shape). The dashboard reads the table from ``GET /api/v1/categories``; the
webhook texts and the simulator's meter names read it directly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import cast

from core.waste import WasteKind

__all__ = ["CATEGORIES", "GAS_CATEGORIES", "GENERATION_CATEGORIES", "CategoryInfo", "MeterCategory", "row_of", "unit_of"]


class MeterCategory(str, enum.Enum):
    """Public-space load categories a property manager is responsible for."""

    CORRIDOR_LIGHTING = "corridor_lighting"
    LOBBY_LIGHTING = "lobby_lighting"
    GARAGE_LIGHTING = "garage_lighting"
    LANDSCAPE_LIGHTING = "landscape_lighting"
    PUBLIC_HVAC = "public_hvac"
    ELEVATOR = "elevator"
    WATER_PUMP = "water_pump"
    LANDSCAPE_PUMP = "landscape_pump"
    EV_CHARGER = "ev_charger"
    PV = "pv"
    GAS = "gas"
    AIR_COMPRESSOR = "air_compressor"
    CHILLER = "chiller"


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    code: MeterCategory
    zh: str
    en: str
    #: "kWh", or "m3" for natural gas.
    unit: str
    #: The waste kinds the detector may name on this meter (models/kinds.py, and the creep
    #: check of models/creep.py); empty: excess here is never waste (EV charging follows
    #: drivers, PV generates, gas is not scored).
    checks: tuple[WasteKind, ...]
    #: Generates electricity rather than consuming it (subtracted, never scored).
    generates: bool = False

    @property
    def scored(self) -> bool:
        """The detector learns a baseline for it and may alert on it: electricity consumed."""
        return self.unit == "kWh" and not self.generates


C, W = MeterCategory, WasteKind
_LIGHTING = (W.LIGHTS_DAYLIGHT, W.LIGHTS_AFTER_HOURS)
_HVAC = (W.HVAC_AFTER_HOURS, W.BASE_LOAD_CREEP)
_PUMP = (W.PUMP_NIGHT, W.BASELINE_EXCESS, W.BASE_LOAD_CREEP)

#: The table, in the order the dashboard lists categories.
CATEGORIES: dict[MeterCategory, CategoryInfo] = {
    row.code: row
    for row in (
        CategoryInfo(C.CORRIDOR_LIGHTING, "走廊照明", "Corridor lighting", "kWh", _LIGHTING),
        CategoryInfo(C.LOBBY_LIGHTING, "大堂照明", "Lobby lighting", "kWh", _LIGHTING),
        CategoryInfo(C.GARAGE_LIGHTING, "车库照明", "Garage lighting", "kWh", _LIGHTING),
        CategoryInfo(C.LANDSCAPE_LIGHTING, "景观照明", "Landscape lighting", "kWh", _LIGHTING),
        CategoryInfo(C.PUBLIC_HVAC, "公区空调", "Public HVAC", "kWh", _HVAC),
        CategoryInfo(C.ELEVATOR, "电梯", "Elevators", "kWh", (W.ELEVATOR_IDLE, W.BASELINE_EXCESS)),
        CategoryInfo(C.WATER_PUMP, "给水泵", "Water pumps", "kWh", _PUMP),
        CategoryInfo(C.LANDSCAPE_PUMP, "景观水泵", "Landscape pumps", "kWh", _PUMP),
        CategoryInfo(C.EV_CHARGER, "充电桩", "EV chargers", "kWh", ()),
        CategoryInfo(C.PV, "光伏", "PV", "kWh", (), generates=True),
        CategoryInfo(C.GAS, "燃气", "Gas", "m3", ()),
        CategoryInfo(C.AIR_COMPRESSOR, "空压机", "Air compressors", "kWh", (W.COMPRESSED_AIR_LEAK, W.BASE_LOAD_CREEP)),
        CategoryInfo(C.CHILLER, "冷水机组", "Chillers", "kWh", _HVAC),
    )
}
if set(CATEGORIES) != set(MeterCategory):  # fail at import, not at the first label lookup far from here
    raise RuntimeError(f"MeterCategory members without a row: {sorted(set(MeterCategory) - set(CATEGORIES))}")

#: Categories measured in m3 of natural gas rather than kWh.
GAS_CATEGORIES = frozenset(c for c, row in CATEGORIES.items() if row.unit == "m3")
#: Categories that generate rather than consume electricity.
GENERATION_CATEGORIES = frozenset(c for c, row in CATEGORIES.items() if row.generates)


def row_of(category: MeterCategory | str) -> CategoryInfo | None:
    """The category's row, found by member or plain code; None for a code the table does not
    hold (a meter from a newer gateway, an alert stored before a category was removed)."""
    # A str member compares and hashes as its value, so a plain code finds its row.
    return CATEGORIES.get(cast(MeterCategory, category))


def unit_of(category: MeterCategory | str) -> str:
    """The category's unit; kWh for a code the table does not hold."""
    row = row_of(category)
    return row.unit if row is not None else "kWh"
