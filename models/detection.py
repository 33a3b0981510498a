"""``DetectionPass``: one scan of a portfolio's meters for waste, stored as alerts.

Per site: the data window ends at ``now`` (by default the site's newest point, never the
wall clock, because simulators may replay the past or run fast). Each meter's baseline
is trained on ``[now - training_days, now - lookback_hours)`` and the hours of
``[now - lookback_hours, now)`` are scored; a meter with an ongoing alert is scored from
that alert's start so the whole episode is re-measured.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.calendar import local_date
from core.carbon import EmissionFactor, electricity_factor
from core.db.registry import load_meters, load_sites
from core.db.tables import AlertRecord, SiteRecord
from core.domain import EnergyPoint, Meter, Site
from core.settings import CarbonSettings, DetectSettings
from core.store.base import SeriesStore
from models.alerts import StoreCounts, store_findings
from models.features import hour_features
from models.hourly import hour_grid
from models.kinds import is_scored
from models.quality import DataWarning
from models.scoring import MeterScorer, SiteContext

HOUR = 3600
DAY = 86400


@dataclass(frozen=True, slots=True)
class DetectionReport:
    """What one pass did: counts for metrics and the data-quality findings for the API."""

    sites_scanned: int = 0
    meters_scored: int = 0
    alerts_opened: int = 0
    alerts_updated: int = 0
    alerts_closed: int = 0
    warnings: tuple[DataWarning, ...] = ()


class DetectionPass:
    """Scans sites for waste and upserts one ``AlertRecord`` per episode.

    Several workers may share a portfolio by passing disjoint ``site_ids`` to ``run``.
    """

    def __init__(
        self,
        store: SeriesStore,
        sessions: sessionmaker[Session],
        detect: DetectSettings,
        carbon: CarbonSettings,
    ) -> None:
        self.store = store
        self.sessions = sessions
        self.detect = detect
        self.carbon = carbon
        self.scorer = MeterScorer()

    def run(self, now: int | None = None, site_ids: list[str] | None = None) -> DetectionReport:
        """Scan the given sites (all registered sites by default) and store their alerts."""
        with self.sessions() as session:
            sites = load_sites(session)
            meters: dict[str, list[Meter]] = defaultdict(list)
            for meter in load_meters(session).values():
                meters[meter.site_id].append(meter)
            tariffs = {row[0]: row[1] for row in session.execute(select(SiteRecord.site_id, SiteRecord.tariff_cny_per_kwh))}
        warnings: list[DataWarning] = []
        totals = StoreCounts()
        scanned = scored = 0
        for site_id in sorted(site_ids if site_ids is not None else sites):
            site = sites.get(site_id)
            if site is None:
                warnings.append(DataWarning("unknown_site", "site is not registered", site_id))
                continue
            tariff = tariffs.get(site_id) or self.carbon.default_tariff_cny_per_kwh
            counts, n_scored, found = self._scan_site(site, sorted(meters[site_id], key=lambda m: m.meter_id),
                                                      tariff, now)
            warnings.extend(found)
            scanned += 1
            scored += n_scored
            for name in ("opened", "updated", "closed", "unchanged"):
                setattr(totals, name, getattr(totals, name) + getattr(counts, name))
        return DetectionReport(scanned, scored, totals.opened, totals.updated, totals.closed, tuple(warnings))

    def _scan_site(
        self, site: Site, meters: list[Meter], tariff: float, now: int | None
    ) -> tuple[StoreCounts, int, list[DataWarning]]:
        warnings: list[DataWarning] = []
        if now is None:
            newest = self.store.latest(site_id=site.site_id)
            if not newest:
                return StoreCounts(), 0, [DataWarning("no_data", "the store holds no points for this site", site.site_id)]
            # Half-open windows: one second past the newest point keeps that point inside.
            now = max(p.ts for p in newest.values()) + 1
        scan_start = (now - self.detect.lookback_hours * HOUR) // HOUR * HOUR
        train_start = (now - self.detect.training_days * DAY) // HOUR * HOUR
        with self.sessions() as session:
            ongoing_since = {
                row[0]: row[1]
                for row in session.execute(
                    select(AlertRecord.meter_id, func.min(AlertRecord.started_at))
                    .where(AlertRecord.site_id == site.site_id, AlertRecord.ongoing.is_(True))
                    .group_by(AlertRecord.meter_id)
                )
            }
        # One interval before the window so the first hour's first reading has a predecessor.
        points = self.store.points(start=train_start - HOUR, end=now, site_id=site.site_id)
        by_meter: dict[str, list[EnergyPoint]] = defaultdict(list)
        for point in points:
            by_meter[point.meter_id].append(point)
        known = {m.meter_id for m in meters}
        for meter_id in sorted(set(by_meter) - known):
            warnings.append(DataWarning("unregistered_meter", "points for a meter the registry does not know",
                                        site.site_id, meter_id))
        grid = hour_grid(train_start, now)
        context = SiteContext(
            site=site,
            hours=grid,
            features=hour_features(grid, site),
            tariff_cny_per_kwh=tariff,
            factor=self._factor(site, now, warnings),
        )
        findings = []
        scored_meters = []
        for meter in meters:
            if meter.meter_id not in by_meter:
                if is_scored(meter.category):
                    warnings.append(DataWarning("no_data", "no points in the training and scan window",
                                                site.site_id, meter.meter_id))
                continue
            score_from = min(scan_start, ongoing_since.get(meter.meter_id, scan_start))
            score_from = max(score_from, train_start)
            result = self.scorer.score(context, meter, by_meter[meter.meter_id],
                                       train_end=scan_start, score_from=score_from, end=now)
            warnings.extend(result.warnings)
            if result.scored:
                scored_meters.append(meter.meter_id)
                findings.extend(result.findings)
        with self.sessions.begin() as session:
            counts = store_findings(session, site_id=site.site_id, findings=findings, scored_meters=scored_meters,
                                    scan_start=scan_start, wall_now=int(time.time()))
        return counts, len(scored_meters), warnings

    def _factor(self, site: Site, now: int, warnings: list[DataWarning]) -> EmissionFactor | None:
        year = local_date(now - 1, site.timezone).year
        try:
            return electricity_factor(site.province, year)
        except LookupError as exc:
            warnings.append(DataWarning("emission_factor_missing", str(exc), site.site_id,
                                        data={"province": site.province, "year": year}))
            return None

