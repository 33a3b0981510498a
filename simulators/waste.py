"""Injected events with ground truth: waste, data faults and meter events, and the CSV/JSON output."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from core.domain import MeterCategory
from core.waste import WasteKind
from core.wire import format_ts

C = MeterCategory

#: Which meters each kind of waste can happen on.
W = WasteKind
WASTE_CATEGORIES: dict[str, frozenset[MeterCategory]] = {
    W.LIGHTS_DAYLIGHT: frozenset({C.CORRIDOR_LIGHTING, C.LANDSCAPE_LIGHTING}),
    W.LIGHTS_AFTER_HOURS: frozenset({C.LOBBY_LIGHTING, C.GARAGE_LIGHTING, C.LANDSCAPE_LIGHTING}),
    W.HVAC_AFTER_HOURS: frozenset({C.PUBLIC_HVAC, C.CHILLER}),
    W.PUMP_NIGHT: frozenset({C.WATER_PUMP, C.LANDSCAPE_PUMP}),
    W.BASE_LOAD_CREEP: frozenset({C.PUBLIC_HVAC, C.CHILLER, C.WATER_PUMP, C.AIR_COMPRESSOR}),
    W.ELEVATOR_IDLE: frozenset({C.ELEVATOR}),
    W.COMPRESSED_AIR_LEAK: frozenset({C.AIR_COMPRESSOR}),
}
WASTE_KINDS = tuple(WASTE_CATEGORIES)
#: Faults of the measurement, not of the building: never waste, wasted_kwh is 0.
DATA_FAULT_KINDS = ("stuck_register", "spike", "dropout")
#: What meters do in normal life that a naive counter-to-energy step gets wrong.
#: Named as core.db.tables.DataFinding names them.
METER_EVENT_KINDS = ("register_rollover", "register_reset")

WASTE, DATA_FAULT, METER_EVENT = "waste", "data_fault", "meter_event"
EVENT_CLASS: dict[str, str] = {
    **{k: WASTE for k in WASTE_KINDS},
    **{k: DATA_FAULT for k in DATA_FAULT_KINDS},
    **{k: METER_EVENT for k in METER_EVENT_KINDS},
}
#: Waste that adds load only while the site is closed (nights, weekends, holidays):
#: during service the same load is normal use.
CLOSED_HOURS_ONLY = frozenset({W.ELEVATOR_IDLE, W.COMPRESSED_AIR_LEAK})
#: Waste whose extra load grows linearly from 0 at ``start`` to ``extra_kw`` at ``ramp_end``
#: (``end`` unless given), then stays there until ``end``.
RAMPED = frozenset({W.BASE_LOAD_CREEP})

#: Ground-truth columns, in file order. Columns are only ever added, never renamed.
GROUND_TRUTH_COLUMNS = ("site", "meter", "kind", "class", "start", "end", "wasted_kwh", "extra_kw", "ramp_end")


@dataclass(frozen=True, slots=True)
class WasteEvent:
    """Something injected on one meter over ``[start, end)`` (UTC epoch seconds).

    For waste, ``extra_kw`` is the extra load (the most it reaches, for a ramp). For
    data faults and meter events it is 0 and the kind says what happens to the
    readings whose ``ts`` lies in ``[start, end)``. A ramped kind (RAMPED) reaches
    ``extra_kw`` at ``ramp_end`` and holds it to ``end``; without ``ramp_end`` it ramps
    over the whole event.
    """

    site_id: str
    meter_id: str
    kind: str
    start: int
    end: int
    extra_kw: float
    ramp_end: int | None = None

    @property
    def event_class(self) -> str:
        """'waste', 'data_fault' or 'meter_event'."""
        return EVENT_CLASS[self.kind]

    def overlap(self, t0: int, t1: int) -> int:
        """Seconds of ``[t0, t1)`` inside the event."""
        return max(0, min(t1, self.end) - max(t0, self.start))

    @property
    def ramp_stop(self) -> int | None:
        """When a ramped kind reaches ``extra_kw`` (None for other kinds)."""
        if self.kind not in RAMPED:
            return None
        return self.end if self.ramp_end is None else min(self.ramp_end, self.end)

    def cut(self, end: int) -> WasteEvent:
        """The event ended at ``end`` (if earlier), its load unchanged up to the cut.

        A ramp cut before it completes keeps its slope: it reaches only the share of
        ``extra_kw`` it has grown to by ``end``, and that share is the new ``extra_kw``.
        """
        if end >= self.end:
            return self
        stop = self.ramp_stop
        if stop is None:
            return replace(self, end=end)
        if end >= stop:
            return replace(self, end=end, ramp_end=stop)
        share = (end - self.start) / (stop - self.start)
        return replace(self, end=end, ramp_end=end, extra_kw=round(self.extra_kw * share, 3))


def ground_truth_rows(events_with_kwh: Iterable[tuple[WasteEvent, float]]) -> list[dict]:
    """One dict per event with the GROUND_TRUTH_COLUMNS."""
    return [
        {
            "site": e.site_id,
            "meter": e.meter_id,
            "kind": e.kind,
            "class": e.event_class,
            "start": format_ts(e.start),
            "end": format_ts(e.end),
            "wasted_kwh": round(kwh, 3) if e.event_class == WASTE else 0.0,
            "extra_kw": e.extra_kw,
            "ramp_end": format_ts(e.ramp_stop) if e.ramp_stop is not None else "",
        }
        for e, kwh in events_with_kwh
    ]


def write_ground_truth(path: str | Path, events_with_kwh: Iterable[tuple[WasteEvent, float]]) -> tuple[Path, Path]:
    """Write the events and their wasted kWh to ``<path>.csv`` and ``<path>.json``; return both paths."""
    base = Path(path)
    if base.suffix in {".csv", ".json"}:
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    rows = ground_truth_rows(events_with_kwh)
    csv_path, json_path = base.with_suffix(".csv"), base.with_suffix(".json")
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(GROUND_TRUTH_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    json_path.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return csv_path, json_path
