"""Scoring one meter: hourly data -> sufficiency check -> baseline -> episodes -> findings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from core.carbon import EmissionFactor
from core.domain import EnergyPoint, Meter, Site
from models.alerts import Finding, severity
from models.baseline import MeterBaseline
from models.explain import explanation
from models.features import BASE_FEATURES, local_hour
from models.hourly import HOUR, hourly_energy
from models.kinds import is_scored, waste_kind
from models.quality import DataWarning, check_sufficiency
from models.residual import Episode, ResidualDetector

#: Smallest mean excess power, as a share of the meter's rating, worth an alert. HVAC
#: swings by 5-10% of its rating with the weather, which the calendar features cannot
#: see; lower would report hot afternoons, higher would miss a zone left running.
MIN_RATED_SHARE = 0.1
_DAYLIGHT = BASE_FEATURES.index("daylight")
_WORKDAY = BASE_FEATURES.index("workday")


@dataclass(frozen=True, slots=True)
class SiteContext:
    """What every meter of a site shares in one pass: the hourly grid and its features."""

    site: Site
    hours: np.ndarray
    features: np.ndarray
    tariff_cny_per_kwh: float
    factor: EmissionFactor | None


@dataclass(frozen=True, slots=True)
class MeterResult:
    """Outcome for one meter: whether it could be scored, its findings and data warnings."""

    scored: bool
    findings: tuple[Finding, ...] = ()
    warnings: tuple[DataWarning, ...] = ()


class MeterScorer:
    """Fits a fresh baseline per meter and turns its residual episodes into findings."""

    def __init__(self, baseline: MeterBaseline | None = None, detector: ResidualDetector | None = None) -> None:
        self.baseline = baseline if baseline is not None else MeterBaseline(random_state=0)
        self.detector = detector if detector is not None else ResidualDetector()

    def score(
        self,
        ctx: SiteContext,
        meter: Meter,
        points: Sequence[EnergyPoint],
        *,
        train_end: int,
        score_from: int,
        end: int,
    ) -> MeterResult:
        """Score ``meter``'s hours from ``score_from`` to ``end`` against a baseline trained before ``train_end``."""
        if not is_scored(meter.category):
            return MeterResult(scored=False)
        series = hourly_energy(
            points, start=int(ctx.hours[0]), end=end, site_id=meter.site_id, meter_id=meter.meter_id,
            rated_kw=meter.rated_kw, report_from=score_from,
        )
        hours, kwh = series.hours, series.kwh
        warnings = list(series.warnings)
        training = hours < train_end
        missing = check_sufficiency(series.valid[training], site_id=meter.site_id, meter_id=meter.meter_id)
        if missing:
            return MeterResult(scored=False, warnings=tuple(warnings + missing))
        fit = training & series.valid
        baseline = clone(self.baseline).fit(ctx.features[fit], kwh[fit])
        scan = np.flatnonzero(hours >= score_from)
        actual = kwh[scan]
        expected = np.clip(baseline.predict(ctx.features[scan]), 0.0, None)
        findings = tuple(
            self._finding(ctx, meter, episode, scan[episode.hours], actual[episode.hours], expected[episode.hours])
            for episode in self.detector.episodes(actual, expected, baseline.residual_scale(expected))
            if self._material(meter, actual[episode.hours], expected[episode.hours])
        )
        return MeterResult(scored=True, findings=findings, warnings=tuple(warnings))

    @staticmethod
    def _material(meter: Meter, actual: np.ndarray, expected: np.ndarray) -> bool:
        known = ~np.isnan(actual)
        excess_kw = float((actual[known] - expected[known]).sum()) / max(int(known.sum()), 1)
        return meter.rated_kw <= 0 or excess_kw >= MIN_RATED_SHARE * meter.rated_kw

    def _finding(
        self, ctx: SiteContext, meter: Meter, episode: Episode, rows: np.ndarray, actual: np.ndarray, expected: np.ndarray
    ) -> Finding:
        known = ~np.isnan(actual)
        actual_kwh = float(actual[known].sum())
        expected_kwh = float(expected[known].sum())
        wasted = actual_kwh - expected_kwh
        started_at = int(ctx.hours[rows[0]])
        ended_at = int(ctx.hours[rows[-1]]) + HOUR
        kind = waste_kind(
            meter.category,
            local_hours=local_hour(ctx.hours[rows], ctx.site.timezone),
            daylight=ctx.features[rows, _DAYLIGHT],
            workday=ctx.features[rows, _WORKDAY],
            excess=np.where(known, actual - expected, 0.0),
        )
        cost = wasted * ctx.tariff_cny_per_kwh
        factor = ctx.factor.value if ctx.factor is not None else 0.0
        source = f"{ctx.factor.source} (data year {ctx.factor.year})" if ctx.factor is not None else ""
        return Finding(
            site_id=meter.site_id,
            meter_id=meter.meter_id,
            category=meter.category.value,
            kind=kind,
            severity=severity(wasted, int(known.sum()), rated_kw=meter.rated_kw, expected_kwh=expected_kwh),
            started_at=started_at,
            ended_at=ended_at,
            ongoing=episode.ongoing,
            actual_kwh=round(actual_kwh, 3),
            expected_kwh=round(expected_kwh, 3),
            wasted_kwh=round(wasted, 3),
            cost_cny=round(cost, 2),
            co2e_kg=round(wasted * factor, 3),
            factor_kg_per_kwh=factor,
            factor_source=source,
            explanation=explanation(
                category=meter.category,
                meter_name=meter.name,
                kind=kind,
                started_at=started_at,
                ended_at=ended_at,
                actual_kwh=actual_kwh,
                expected_kwh=expected_kwh,
                cost_cny=cost,
                excess_hours=episode.excess_hours,
                ongoing=episode.ongoing,
                tz=ctx.site.timezone,
            ),
        )
