"""Injected waste with ground truth: event type, planning of realistic windows, CSV/JSON output."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np

from core.calendar import local_date
from core.domain import Meter, MeterCategory, Site, SiteType
from core.solar import sun_times
from core.wire import format_ts
from simulators.portfolio import Portfolio
from simulators.schedules import OPENING_HOURS, local_midnight

C = MeterCategory

#: Which meters each kind of waste can happen on.
WASTE_CATEGORIES: dict[str, frozenset[MeterCategory]] = {
    "lights_daylight": frozenset({C.CORRIDOR_LIGHTING, C.LANDSCAPE_LIGHTING}),
    "hvac_after_hours": frozenset({C.PUBLIC_HVAC, C.CHILLER}),
    "pump_night": frozenset({C.WATER_PUMP, C.LANDSCAPE_PUMP}),
}
WASTE_KINDS = tuple(WASTE_CATEGORIES)
#: Attempts to place an event before giving up on it (windows may fall off the range
#: or overlap another event on the same meter).
_PLACEMENT_TRIES = 20


@dataclass(frozen=True, slots=True)
class WasteEvent:
    """Extra load ``extra_kw`` on one meter over ``[start, end)`` (UTC epoch seconds)."""

    site_id: str
    meter_id: str
    kind: str
    start: int
    end: int
    extra_kw: float

    def overlap(self, t0: int, t1: int) -> int:
        """Seconds of ``[t0, t1)`` inside the event."""
        return max(0, min(t1, self.end) - max(t0, self.start))


def _window(kind: str, site: Site, day_offset: int, first_day, rng: np.random.Generator) -> tuple[int, int] | None:
    day = first_day + timedelta(days=day_offset)
    midnight = local_midnight(day, site.timezone)
    if kind == "lights_daylight":
        # Someone switches to manual or a photocell fails in the morning; found by evening.
        sunrise, sunset = sun_times(site.latitude, site.longitude, day)
        start = sunrise + int(rng.uniform(1.0, 3.0) * 3600)
        end = min(start + int(rng.uniform(4.0, 8.0) * 3600), sunset - 1800)
        return (start, end) if end - start >= 2 * 3600 else None
    if kind == "hvac_after_hours":
        hours = OPENING_HOURS[site.site_type]["workday"] or (8, 19)
        # Left running when the building closes, until someone notices next morning.
        start = midnight + int((hours[1] + rng.uniform(0.5, 2.0)) * 3600)
        return start, start + int(rng.uniform(4.0, 9.0) * 3600)
    if kind == "pump_night":
        # A stuck pressure switch keeps the pump running through the low-demand night.
        start = midnight + int(rng.uniform(22.0, 25.0) * 3600)
        return start, start + int(rng.uniform(3.0, 6.0) * 3600)
    raise ValueError(f"unknown waste kind {kind!r}")


#: Extra load as a share of the meter's rating, low and high, by kind.
_EXTRA_SHARE = {"lights_daylight": (0.6, 0.9), "hvac_after_hours": (0.3, 0.6), "pump_night": (0.4, 0.8)}


def _candidates(site: Site, meters: list[Meter]) -> list[tuple[str, Meter]]:
    out = []
    for kind, categories in WASTE_CATEGORIES.items():
        for m in meters:
            if m.category in categories:
                out.append((kind, m))
    if site.site_type is SiteType.RESIDENTIAL:
        # Residential public HVAC is small; after-hours waste there is rare and tiny.
        out = [(k, m) for k, m in out if k != "hvac_after_hours"] or out
    return out


def plan_waste(portfolio: Portfolio, start: int, end: int, events_per_site_week: float, seed: int) -> list[WasteEvent]:
    """Seeded waste events inside ``[start, end)``, about ``events_per_site_week`` per site-week."""
    if end <= start or events_per_site_week <= 0:
        return []
    rng = np.random.default_rng([seed, 0x3A57E])
    weeks = (end - start) / (7 * 86400)
    events: list[WasteEvent] = []
    for site in portfolio.sites:
        candidates = _candidates(site, portfolio.meters[site.site_id])
        n = int(rng.poisson(events_per_site_week * weeks))
        if not candidates:
            continue
        first_day = local_date(start, site.timezone) - timedelta(days=1)
        n_days = (local_date(end, site.timezone) - first_day).days + 1
        taken: dict[str, list[tuple[int, int]]] = {}
        for _ in range(n):
            for _ in range(_PLACEMENT_TRIES):
                kind, meter = candidates[int(rng.integers(len(candidates)))]
                window = _window(kind, site, int(rng.integers(n_days)), first_day, rng)
                lo, hi = _EXTRA_SHARE[kind]
                extra = round(meter.rated_kw * float(rng.uniform(lo, hi)), 2)
                if window is None or window[0] < start or window[1] > end:
                    continue
                busy = taken.setdefault(meter.meter_id, [])
                if any(window[0] < b and a < window[1] for a, b in busy):
                    continue
                busy.append(window)
                events.append(WasteEvent(site.site_id, meter.meter_id, kind, window[0], window[1], extra))
                break
    return sorted(events, key=lambda e: (e.start, e.meter_id))


def write_ground_truth(path: str | Path, events_with_kwh: Iterable[tuple[WasteEvent, float]]) -> tuple[Path, Path]:
    """Write the events and their wasted kWh to ``<path>.csv`` and ``<path>.json``; return both paths."""
    base = Path(path)
    if base.suffix in {".csv", ".json"}:
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "site": e.site_id,
            "meter": e.meter_id,
            "kind": e.kind,
            "start": format_ts(e.start),
            "end": format_ts(e.end),
            "wasted_kwh": round(kwh, 3),
            "extra_kw": e.extra_kw,
        }
        for e, kwh in events_with_kwh
    ]
    csv_path, json_path = base.with_suffix(".csv"), base.with_suffix(".json")
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["site", "meter", "kind", "start", "end", "wasted_kwh", "extra_kw"])
        writer.writeheader()
        writer.writerows(rows)
    json_path.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return csv_path, json_path
