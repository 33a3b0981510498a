"""Simulated property portfolios that publish meter readings over MQTT (and nothing else).

Flow: ``build_portfolio`` -> ``plan_scenarios`` (or ``plan_waste``) -> ``generate``
(readings + ground truth) -> ``run_simulation`` (MQTT). Only ``core`` is imported; the
rest of kilowatch is reached over the broker. See docs/simulator.md.
"""

from simulators.delivery import BAD_PAYLOAD_KINDS, DeliveryConfig, DeliveryCounts
from simulators.generator import Generation, Step, generate
from simulators.planning import DEFAULT_MIX, plan_scenarios, plan_waste
from simulators.portfolio import Portfolio, build_portfolio
from simulators.publisher import SimulationResult, run_simulation
from simulators.waste import (
    DATA_FAULT_KINDS,
    EVENT_CLASS,
    GROUND_TRUTH_COLUMNS,
    METER_EVENT_KINDS,
    WASTE_KINDS,
    WasteEvent,
    write_ground_truth,
)

__all__ = [
    "BAD_PAYLOAD_KINDS",
    "DATA_FAULT_KINDS",
    "DEFAULT_MIX",
    "DeliveryConfig",
    "DeliveryCounts",
    "EVENT_CLASS",
    "GROUND_TRUTH_COLUMNS",
    "Generation",
    "METER_EVENT_KINDS",
    "Portfolio",
    "SimulationResult",
    "Step",
    "WASTE_KINDS",
    "WasteEvent",
    "build_portfolio",
    "generate",
    "plan_scenarios",
    "plan_waste",
    "run_simulation",
    "write_ground_truth",
]
