"""Simulated property portfolios that publish meter readings over MQTT (and nothing else).

Flow: ``build_portfolio`` -> ``plan_waste`` -> ``generate`` (readings + ground truth)
-> ``run_simulation`` (MQTT). Only ``core`` is imported; the rest of kilowatch is
reached over the broker.
"""

from simulators.generator import Generation, generate
from simulators.portfolio import Portfolio, build_portfolio
from simulators.publisher import SimulationResult, run_simulation
from simulators.waste import WASTE_KINDS, WasteEvent, plan_waste, write_ground_truth

__all__ = [
    "Generation",
    "Portfolio",
    "SimulationResult",
    "WASTE_KINDS",
    "WasteEvent",
    "build_portfolio",
    "generate",
    "plan_waste",
    "run_simulation",
    "write_ground_truth",
]
