"""The checker: reconciles what a publisher sent with what the store holds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from core.domain import EnergyPoint
from core.store.base import SeriesStore
from tests.faults.stream import Stamp

#: Registers travel with 3 decimals and energies are rounded to 6: a sum of a few thousand
#: interval energies may drift by a few millionths each, never by a thousandth.
ENERGY_TOLERANCE = 1e-3
#: Seconds around the published range also searched for strays (points at shifted times).
MARGIN_S = 86_400

Key = tuple[str, int]


@dataclass(frozen=True, slots=True)
class WrongValue:
    """A stored point whose register (or site) is not what was published for its key."""

    expected: Stamp
    stored: EnergyPoint


@dataclass(frozen=True, slots=True)
class EnergyMismatch:
    meter_id: str
    stored_sum: float
    expected: float


@dataclass
class Report:
    """What reconciliation found; ``clean`` when it found nothing wrong."""

    published: int
    stored: int
    lost: list[Key] = field(default_factory=list)
    duplicated: dict[Key, list[EnergyPoint]] = field(default_factory=dict)
    unexpected: list[EnergyPoint] = field(default_factory=list)
    wrong_value: list[WrongValue] = field(default_factory=list)
    energy: list[EnergyMismatch] = field(default_factory=list)

    @property
    def lossless(self) -> bool:
        """Every published reading is stored once, with its value, and nothing else is."""
        return not (self.lost or self.duplicated or self.unexpected or self.wrong_value)

    @property
    def clean(self) -> bool:
        """Lossless, and each meter's energy sums to its last register minus its first."""
        return self.lossless and not self.energy

    def summary(self, limit: int = 5) -> str:
        """A one-paragraph account for assertion messages, with a few examples of each problem."""
        parts = [f"{self.published} published, {self.stored} stored"]
        for name, items in (
            ("lost", self.lost),
            ("duplicated", list(self.duplicated.items())),
            ("unexpected", self.unexpected),
            ("wrong value", self.wrong_value),
            ("energy mismatch", self.energy),
        ):
            if items:
                parts.append(f"{len(items)} {name} (e.g. {items[:limit]})")
        return "; ".join(parts)


def reconcile(published: Iterable[Stamp], stored: Iterable[EnergyPoint], energy_tolerance: float = ENERGY_TOLERANCE) -> Report:
    """Compare published readings with stored points, key by key and energy per meter.

    A reading published more than once (a broker redelivery, a replay) is one key: the
    store must hold exactly one point for it.
    """
    expected: dict[Key, Stamp] = {}
    for stamp in published:
        expected.setdefault((stamp.meter_id, stamp.ts), stamp)
    held: dict[Key, list[EnergyPoint]] = defaultdict(list)
    stored_list = list(stored)
    for point in stored_list:
        held[(point.meter_id, point.ts)].append(point)

    report = Report(published=len(expected), stored=len(stored_list))
    for key, stamp in sorted(expected.items()):
        points = held.get(key)
        if not points:
            report.lost.append(key)
            continue
        if len(points) > 1:
            report.duplicated[key] = points
        for point in points:
            if point.register != stamp.register or point.site_id != stamp.site_id:
                report.wrong_value.append(WrongValue(stamp, point))
    report.unexpected = [p for key, points in sorted(held.items()) if key not in expected for p in points]
    report.energy = _energy_mismatches(expected.values(), stored_list, energy_tolerance)
    return report


def _energy_mismatches(expected: Iterable[Stamp], stored: Sequence[EnergyPoint], tolerance: float) -> list[EnergyMismatch]:
    """Meters whose stored energies do not add up to last register minus first (registers only rise)."""
    span: dict[str, tuple[Stamp, Stamp]] = {}
    for stamp in expected:
        first, last = span.get(stamp.meter_id, (stamp, stamp))
        span[stamp.meter_id] = (min(first, stamp, key=lambda s: s.ts), max(last, stamp, key=lambda s: s.ts))
    sums: dict[str, float] = defaultdict(float)
    for point in stored:
        sums[point.meter_id] += point.energy
    mismatches = []
    for meter_id, (first, last) in sorted(span.items()):
        want = last.register - first.register
        if abs(sums.get(meter_id, 0.0) - want) > tolerance:
            mismatches.append(EnergyMismatch(meter_id, round(sums.get(meter_id, 0.0), 6), round(want, 6)))
    return mismatches


def stored_points(store: SeriesStore, published: Sequence[Stamp], margin_s: int = MARGIN_S) -> list[EnergyPoint]:
    """Every point in the published time range, widened by ``margin_s``, whatever its tags.

    No site filter: a point filed under a wrong site must show up as unexpected or duplicated.
    """
    start = min(s.ts for s in published) - margin_s
    end = max(s.ts for s in published) + 1 + margin_s
    return store.points(start=start, end=end)


def check_store(store: SeriesStore, published: Sequence[Stamp]) -> Report:
    """Reconcile ``published`` with what ``store`` holds for it now."""
    return reconcile(published, stored_points(store, published))
