"""Green certificates and green-power contracts: how much of a site's grid import they cover, day by day."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: A China GEC (绿证) certifies one MWh of renewable generation.
KWH_PER_GEC = 1000.0
INSTRUMENT_KINDS = ("gec", "green_power_contract")


@dataclass(frozen=True, slots=True)
class GreenInstrument:
    """Certificates or a green-power contract for ``mwh`` of consumption in ``[period_start, period_end)``."""

    instrument: str
    mwh: float
    period_start: int
    period_end: int
    vintage_year: int
    reference: str = ""
    id: int | None = None


def allocate(
    instruments: Iterable[GreenInstrument], grid_kwh: Mapping[int, float], day_ends: Mapping[int, int]
) -> dict[int, float]:
    """Grid kWh covered per day (keyed by day start), never more than that day's grid import.

    Instruments are applied in order of period start (then id). Each spreads its kWh pro
    rata over the grid import in its period not yet covered by an earlier one, so a
    month's figure does not depend on which months a report asks for. A day partly in a
    period counts with the share of its seconds inside. Unused kWh are not carried over.
    """
    covered: dict[int, float] = {}
    for item in sorted(instruments, key=lambda i: (i.period_start, i.id or 0)):
        eligible: dict[int, float] = {}
        for day, kwh in grid_kwh.items():
            end = day_ends[day]
            overlap = min(end, item.period_end) - max(day, item.period_start)
            if overlap > 0:
                remaining = max(0.0, kwh - covered.get(day, 0.0))
                eligible[day] = remaining * overlap / (end - day)
        total = sum(eligible.values())
        if total <= 0:
            continue
        share = min(1.0, item.mwh * KWH_PER_GEC / total)
        for day, kwh in eligible.items():
            covered[day] = covered.get(day, 0.0) + kwh * share
    return covered
