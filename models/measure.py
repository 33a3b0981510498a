"""Measuring an episode: wasted kWh, its price by hour, its carbon, and the explanation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.carbon import EmissionFactor
from core.domain import Meter, Site
from core.timebase import HOUR
from models.episodes import WasteEpisode, severity
from models.explain import SERIES_CONTEXT_HOURS, Explanation, chart_series
from models.kinds import CHECKS
from models.tariff import Tariff

CREEP_CHECK = "base_load_creep"


@dataclass(frozen=True, slots=True)
class SiteTerms:
    """What prices and carbon an episode on this site: its tariff and emission factor."""

    site: Site
    tariff: Tariff
    factor: EmissionFactor | None


@dataclass(frozen=True, slots=True)
class Span:
    """An episode's rows in a meter's scored arrays, with how it was found."""

    start: int
    stop: int
    kind: str
    detected: int
    ongoing: bool
    excess_hours: int


def measure(
    terms: SiteTerms,
    meter: Meter,
    span: Span,
    hours: np.ndarray,
    actual: np.ndarray,
    expected: np.ndarray,
    local_hours: np.ndarray,
) -> WasteEpisode:
    """A finding for ``span`` over arrays aligned with ``hours`` (the meter's scored hours)."""
    rows = slice(span.start, span.stop)
    a, e = actual[rows], expected[rows]
    known = ~np.isnan(a)
    actual_kwh = float(a[known].sum())
    expected_kwh = float(e[known].sum())
    excess = np.where(known, a - e, 0.0)
    wasted = float(excess.sum())
    cost = terms.tariff.cost(hours[rows], excess, terms.site.timezone)
    started_at, ended_at = int(hours[span.start]), int(hours[span.stop - 1]) + HOUR
    detected_at = int(hours[span.detected]) + HOUR
    factor = terms.factor.value if terms.factor is not None else 0.0
    source = f"{terms.factor.source} (data year {terms.factor.year})" if terms.factor is not None else ""
    context = slice(max(span.start - SERIES_CONTEXT_HOURS, 0), min(span.stop + SERIES_CONTEXT_HOURS, hours.size))
    check = CREEP_CHECK if span.kind == CREEP_CHECK else CHECKS[span.kind].name
    hot = excess > 0
    return WasteEpisode(
        site_id=meter.site_id,
        meter_id=meter.meter_id,
        category=meter.category.value,
        kind=span.kind,
        check=check,
        severity=severity(wasted, int(known.sum()), rated_kw=meter.rated_kw, expected_kwh=expected_kwh),
        started_at=started_at,
        ended_at=ended_at,
        detected_at=detected_at,
        ongoing=span.ongoing,
        actual_kwh=round(actual_kwh, 3),
        expected_kwh=round(expected_kwh, 3),
        wasted_kwh=round(wasted, 3),
        cost_cny=round(cost, 2),
        co2e_kg=round(wasted * factor, 3),
        factor_kg_per_kwh=factor,
        factor_source=source,
        explanation=Explanation(
            category=meter.category,
            meter_name=meter.name,
            kind=span.kind,
            check=check,
            started_at=started_at,
            ended_at=ended_at,
            actual_kwh=actual_kwh,
            expected_kwh=expected_kwh,
            cost_cny=cost,
            excess_hours=span.excess_hours,
            ongoing=span.ongoing,
            series=chart_series(hours[context], actual[context], expected[context]),
            tz=terms.site.timezone,
        ),
        local_hours=tuple(int(h) for h in local_hours[rows][hot]),
    )
