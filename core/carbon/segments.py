"""The store's per-segment energy folded into what a ledger prices: sums per segment, grid import, meters seen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.domain import GAS_CATEGORIES, GENERATION_CATEGORIES, MeterCategory
from core.store.daily import SegmentEnergy

CONSUMPTION, GENERATION, GAS = "consumption", "generation", "gas"
#: What each meter category does in a ledger, and its value (enum lookups are slow per row).
KINDS: dict[MeterCategory, tuple[str, str]] = {
    c: (GAS if c in GAS_CATEGORIES else GENERATION if c in GENERATION_CATEGORIES else CONSUMPTION, c.value) for c in MeterCategory
}


@dataclass(frozen=True, slots=True)
class SegmentData:
    """What the store said about segments ``[bounds[i], bounds[i + 1])``: energy per meter, grid import (PV sites)."""

    bounds: Sequence[int]
    rows: Sequence[SegmentEnergy]
    imports: dict[int, float] | None = None

    @property
    def start(self) -> int:
        return self.bounds[0]

    @property
    def end(self) -> int:
        return self.bounds[-1]


@dataclass(slots=True)
class SlotSums:
    """What the meters of a site gave over one segment of the range."""

    kwh: float = 0.0
    pv_kwh: float = 0.0
    gas_m3: float = 0.0
    readings: int = 0
    kwh_by_category: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class Observed:
    """A meter's readings over the seconds of its segments that have passed: its interval when no day is whole."""

    seconds: int
    readings: int


@dataclass(slots=True)
class Folded:
    """A site's segments keyed by their start (the parts are disjoint, so keys are unique)."""

    #: Sums of the range's own segments (``main``); extra parts only feed the grid and certificates.
    slots: dict[int, SlotSums] = field(default_factory=dict)
    #: End of every segment with a registered meter's row, main or extra.
    slot_end: dict[int, int] = field(default_factory=dict)
    #: kWh from the grid per segment, after PV netting.
    grid: dict[int, float] = field(default_factory=dict)
    #: Most readings of one whole local day, per meter.
    busiest: dict[str, int] = field(default_factory=dict)
    observed: dict[str, Observed] = field(default_factory=dict)
    #: Meters with energy in the store but absent from the registry: not counted anywhere.
    unclassified: set[str] = field(default_factory=set)

    @property
    def first_read(self) -> int | None:
        """Start of the first segment with readings, or None."""
        return min((lo for lo, s in self.slots.items() if s.readings > 0), default=None)


def fold(main: SegmentData, extra: Sequence[SegmentData], kinds: Mapping[str, tuple[str, str]], now: int) -> Folded:
    """Fold ``main`` and the ``extra`` instrument periods; ``kinds`` gives each meter's (kind, category value)."""
    folded = Folded()
    has_pv = any(kind is GENERATION for kind, _value in kinds.values())
    for part in (main, *extra):
        consumption = _fold_part(folded, part, kinds, now, in_main=part is main)
        for lo, (segment, kwh) in consumption.items():
            imported = kwh
            if has_pv and part.imports is not None:
                # The store nets PV per quarter hour; the result cannot exceed what was consumed.
                imported = min(kwh, max(0.0, part.imports.get(segment, kwh)))
            folded.grid[lo] = imported
    return folded


def _fold_part(
    folded: Folded, part: SegmentData, kinds: Mapping[str, tuple[str, str]], now: int, *, in_main: bool
) -> dict[int, tuple[int, float]]:
    """Add one part's rows; its consumption per segment start as (segment, kWh)."""
    consumption: dict[int, tuple[int, float]] = {}
    bounds = part.bounds
    # Seconds of each segment observed so far (a row adds its segment's).
    elapsed = [max(0, min(hi, now) - lo) for lo, hi in zip(bounds, bounds[1:], strict=False)]
    slots, busiest, observed = folded.slots, folded.busiest, folded.observed
    for row in part.rows:
        meter = kinds.get(row.meter_id)
        if meter is None:
            folded.unclassified.add(row.meter_id)
            continue
        kind, category = meter
        lo, hi = bounds[row.segment], bounds[row.segment + 1]
        folded.slot_end[lo] = hi
        if kind is CONSUMPTION:
            consumption[lo] = (row.segment, consumption.get(lo, (0, 0.0))[1] + row.energy)
        if not in_main:
            continue
        acc = slots.get(lo)
        if acc is None:
            acc = slots[lo] = SlotSums()
        acc.readings += row.readings
        if kind is GAS:
            acc.gas_m3 += row.energy
        elif kind is GENERATION:
            acc.pv_kwh += row.energy
        else:
            acc.kwh += row.energy
            acc.kwh_by_category[category] = acc.kwh_by_category.get(category, 0.0) + row.energy
        if row.busiest_day > busiest.get(row.meter_id, 0):
            busiest[row.meter_id] = row.busiest_day
        seen = observed.get(row.meter_id)
        if seen is None:
            observed[row.meter_id] = Observed(elapsed[row.segment], row.readings)
        else:
            seen.seconds += elapsed[row.segment]
            seen.readings += row.readings
    return consumption
