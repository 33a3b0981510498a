"""The detectors a site pass runs, in order: a new detector is its module plus one line here.

Order matters where one detector explains another's findings: the creep check runs after
the hourly checks and takes back their episodes on a meter since its creep began.
"""

from __future__ import annotations

from collections.abc import Callable

from models.creep_check import CreepCheck
from models.detector import Detector
from models.hourly_checks import HourlyChecks
from models.shortfall_check import ShortfallCheck

#: Each entry makes one detector; a scanner makes its own set once and keeps it (a detector
#: may hold state between passes, as the creep check holds the creeps it follows).
DETECTORS: list[Callable[[], Detector]] = [
    HourlyChecks,
    ShortfallCheck,
    CreepCheck,
]
