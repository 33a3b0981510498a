"""Data completeness: readings present against readings expected from each meter's reporting interval."""

from __future__ import annotations

import functools
import statistics
from collections.abc import Iterable

#: Interval assumed for a meter with no data to infer one from: gateways in the field
#: and the simulator report every 15 minutes.
DEFAULT_INTERVAL_S = 900
#: Reporting intervals gateways use. Inferred spacings snap to the nearest, so a day
#: with a few missing readings (spacing 909 s) still yields 900 s, not a longer interval
#: that would hide the gap.
STANDARD_INTERVALS_S = (60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)


def infer_interval(spacings: Iterable[float]) -> int:
    """A meter's reporting interval: the median of its per-day mean spacings, snapped to a standard interval.

    Each day contributes (seconds of the day observed) / (readings that day). The
    median ignores days with outages as long as most days are whole.
    """
    values = [s for s in spacings if s > 0]
    if not values:
        return DEFAULT_INTERVAL_S
    return snap(statistics.median(values))


@functools.lru_cache(maxsize=4096)
def snap(spacing: float) -> int:
    """The standard interval nearest to ``spacing`` in relative terms."""
    return min(STANDARD_INTERVALS_S, key=lambda standard: abs(standard - spacing) / standard)


def ratio(present: int, expected: float) -> float | None:
    """Share of expected readings present, capped at 1; None when nothing was expected (a future period)."""
    if expected <= 0:
        return None
    return min(1.0, present / expected)
