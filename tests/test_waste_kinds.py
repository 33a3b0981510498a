"""Waste-kind names have one home, core.waste, which the simulator and the detector share."""

from __future__ import annotations

from core.waste import INJECTABLE, WasteKind
from models.kinds import CHECKS, NOT_JUDGED, WASTE_KINDS as DETECTED
from simulators import WASTE_KINDS as INJECTED
from simulators.waste import WASTE_CATEGORIES


def test_the_simulator_injects_exactly_core_s_injectable_kinds_in_its_order() -> None:
    assert INJECTED == tuple(WASTE_CATEGORIES) == INJECTABLE


def test_the_detector_reports_core_s_kinds_and_has_a_check_for_each() -> None:
    assert set(DETECTED) == set(WasteKind)
    assert set(CHECKS) - {NOT_JUDGED} == set(WasteKind) - {WasteKind.BASE_LOAD_CREEP}


def test_kind_names_are_the_wire_strings() -> None:
    assert [str(k) for k in INJECTABLE] == [
        "lights_daylight",
        "lights_after_hours",
        "hvac_after_hours",
        "pump_night",
        "base_load_creep",
        "elevator_idle",
        "compressed_air_leak",
    ]


def test_a_kind_reads_as_its_string_inside_containers() -> None:
    # A report's setup line prints the waste mix dict: it showed <WasteKind.PUMP_NIGHT: 'pump_night'>.
    assert repr({WasteKind.PUMP_NIGHT: 1.0}) == "{'pump_night': 1.0}"
