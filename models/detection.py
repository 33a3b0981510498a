"""``DetectionPass``: one scan of a portfolio's sites for waste, stored as alerts and data findings.

Per site: the data window ends at ``now`` (by default the site's newest point, never the
wall clock, because simulators may replay the past or run fast). Baselines are trained
on ``[now - training_days, now - lookback_hours)`` and reused until a day stale; the
hours of ``[now - lookback_hours, now)`` are scored. A meter with an ongoing alert is
scored from that alert's start, and one whose alert was resolved from the resolution,
so the whole episode (or the fix) is re-measured. Sites are independent: several
workers share a portfolio by passing disjoint ``site_ids``.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.alerts import AlertStatus, Verification
from core.calendar import local_date, notice_warning
from core.carbon import EmissionFactor, electricity_factor
from core.data_findings import DataFindingKind, FindingSource, close_site_finding, hold_site_finding, open_sites
from core.db.leases import LeaseLost
from core.db.registry import load_sites
from core.db.tables import AlertRecord, MeterRecord, SiteRecord
from core.db.weather import temperatures_at
from core.domain import Meter, MeterCategory, Site
from core.settings import CarbonSettings, DetectSettings
from core.store.base import SeriesStore, StoreUnavailable
from core.timebase import DAY, HOUR
from models.alerts import VERIFY_HOURS, AlertBook, StoreCounts
from models.bank import BaselineBank
from models.budget import FitBudget
from models.cache import HourlyCache
from models.datafindings import store_faults
from models.features import local_calendar
from models.feedback import load_feedback
from models.kinds import is_scored
from models.measure import SiteTerms
from models.opening import CODE as SCHEDULE_CHANGED, learn
from models.quality import DataWarning
from models.schedule import OpeningHours, opening_hours
from models.scoring import SiteScanner
from models.tariff import Tariff

log = logging.getLogger(__name__)

#: The site-level finding (meter_id "") of a site whose scan raised; closed by its next good scan.
DETECTION_FAILED = DataFindingKind.DETECTION_FAILED


@dataclass(frozen=True, slots=True)
class DetectionReport:
    """What one pass did: counts for metrics and the data-quality findings for the API."""

    sites_scanned: int = 0
    meters_scored: int = 0
    alerts_opened: int = 0
    alerts_updated: int = 0
    alerts_closed: int = 0
    warnings: tuple[DataWarning, ...] = ()
    baselines_fitted: int = 0
    alerts_reopened: int = 0
    alerts_verified: int = 0
    alerts_suppressed: int = 0
    data_findings: int = 0
    #: Meters whose due baseline fit waits for a later pass (the pass's fit budget was spent).
    fits_deferred: int = 0


def _meters(session: Session) -> list[Meter]:
    """Every registered meter, read as plain rows (a portfolio has hundreds of thousands)."""
    columns = (
        MeterRecord.meter_id,
        MeterRecord.site_id,
        MeterRecord.category,
        MeterRecord.rated_kw,
        MeterRecord.name,
        MeterRecord.register_max,
    )
    return [
        Meter(mid, sid, MeterCategory(cat), rated or 0.0, name or "", rmax)
        for mid, sid, cat, rated, name, rmax in session.execute(select(*columns))
    ]


class DetectionPass:
    """Scans sites for waste, upserts one ``AlertRecord`` per episode and the data findings.

    Keep one instance per detector process: it holds the baselines and hourly matrices
    that make later passes cheap.
    """

    def __init__(
        self,
        store: SeriesStore,
        sessions: sessionmaker[Session],
        detect: DetectSettings,
        carbon: CarbonSettings,
        *,
        opening: dict[str, OpeningHours] | None = None,
        scanner: SiteScanner | None = None,
        cache: HourlyCache | None = None,
    ) -> None:
        self.store = store
        self.sessions = sessions
        self.detect = detect
        self.carbon = carbon
        self.opening = opening or {}
        self.scanner = scanner or SiteScanner(
            BaselineBank(sessions, retrain_after_s=int(detect.retrain_after_hours * HOUR)), multivariate=detect.multivariate
        )
        self.cache = cache or HourlyCache(store)
        # site -> (what its opening hours were learnt from, the learnt hours)
        self._opening_cache: dict[str, tuple] = {}

    def run(
        self, now: int | None = None, site_ids: list[str] | None = None, on_scanned: Callable[[Session, str], None] | None = None
    ) -> DetectionReport:
        """Scan the given sites (all registered sites by default) and store their alerts.

        ``on_scanned(session, site_id)`` runs in each site's transaction (replicas record the
        scan there); its ``LeaseLost`` rolls the site back and ends the pass.
        """
        with self.sessions() as session:
            sites = load_sites(session)
            meters: dict[str, list[Meter]] = defaultdict(list)
            for meter in _meters(session):
                meters[meter.site_id].append(meter)
            tariffs = {
                r[0]: (r[1], r[2])
                for r in session.execute(select(SiteRecord.site_id, SiteRecord.tariff_cny_per_kwh, SiteRecord.tou_tariff))
            }
        warnings: list[DataWarning] = []
        # Without the State Council notice a year's make-up working days are unknown: a finding, not silence.
        if (uncovered := notice_warning(local_date(int(time.time() if now is None else now)))) is not None:
            warnings.append(DataWarning("calendar_not_covered", uncovered, ""))
        totals = StoreCounts()
        scanned = scored = fitted = faults = deferred = 0
        budget = FitBudget(self.detect.fit_budget_s)
        failing = self._failing_sites()
        for site_id in sorted(site_ids if site_ids is not None else sites):
            site = sites.get(site_id)
            if site is None:
                warnings.append(DataWarning("unknown_site", "site is not registered", site_id))
                continue
            flat, tou = tariffs.get(site_id, (None, None))
            tariff = Tariff.of(flat or self.carbon.default_tariff_cny_per_kwh, tou)
            try:
                result = self._scan_site(site, sorted(meters[site_id], key=lambda m: m.meter_id), tariff, now, budget, on_scanned)
            except (StoreUnavailable, LeaseLost):
                raise  # every site would fail alike (or belongs to another replica now): the caller decides
            except Exception as exc:  # one site's data must not stop the portfolio's pass
                warnings.append(self._failed(site_id, exc))
                continue
            if site_id in failing:
                self._recovered(site_id)
            counts, n_scored, n_fitted, n_faults, found, n_deferred = result
            deferred += n_deferred
            warnings.extend(found)
            scanned += 1
            scored += n_scored
            fitted += n_fitted
            faults += n_faults
            for name in StoreCounts.__slots__:
                setattr(totals, name, getattr(totals, name) + getattr(counts, name))
        return DetectionReport(
            scanned,
            scored,
            totals.opened,
            totals.updated,
            totals.closed,
            tuple(warnings),
            fitted,
            totals.reopened,
            totals.verified,
            totals.suppressed,
            faults,
            deferred,
        )

    def _failing_sites(self) -> set[str]:
        with self.sessions() as session:
            return open_sites(session, DETECTION_FAILED)

    def _failed(self, site_id: str, exc: Exception) -> DataWarning:
        """Log the error and keep it as the site's open ``detection_failed`` finding (the API shows it)."""
        log.exception("detection failed for site %s; the pass goes on with the other sites", site_id)
        error = f"{type(exc).__name__}: {str(exc)[:500]}"
        warning = DataWarning(DETECTION_FAILED, f"detection raised {error}", site_id)
        try:
            with self.sessions.begin() as session:
                detail = json.dumps({"message": warning.message, "error": error}, ensure_ascii=False)
                hold_site_finding(session, site_id, DETECTION_FAILED, detail, FindingSource.DETECTOR, int(time.time()))
        except Exception:  # the finding is a courtesy; the warning is on the report anyway
            log.exception("cannot store the detection_failed finding of site %s", site_id)
        return warning

    def _recovered(self, site_id: str) -> None:
        with self.sessions.begin() as session:
            close_site_finding(session, site_id, DETECTION_FAILED, int(time.time()))

    def _scan_site(
        self,
        site: Site,
        meters: list[Meter],
        tariff: Tariff,
        now: int | None,
        budget: FitBudget,
        on_scanned: Callable[[Session, str], None] | None = None,
    ):
        warnings: list[DataWarning] = []
        if now is None:
            newest = self.store.latest(site_id=site.site_id)
            if not newest:
                if on_scanned is not None:
                    with self.sessions.begin() as session:
                        on_scanned(session, site.site_id)
                return (
                    StoreCounts(),
                    0,
                    0,
                    0,
                    [DataWarning("no_data", "the store holds no points for this site", site.site_id)],
                    0,
                )
            # Half-open windows: one second past the newest point keeps that point inside.
            now = max(p.ts for p in newest.values()) + 1
        scan_start = (now - self.detect.lookback_hours * HOUR) // HOUR * HOUR
        train_start = (now - self.detect.training_days * DAY) // HOUR * HOUR
        hours, faults, present = self.cache.site(site.site_id, meters, start=train_start, end=now, report_from=scan_start)
        known = {m.meter_id for m in meters}
        for meter_id in sorted(present - known):
            warnings.append(
                DataWarning("unregistered_meter", "points for a meter the registry does not know", site.site_id, meter_id)
            )
        scored_meters = [m for m in meters if is_scored(m.category)]
        for meter in scored_meters:
            if meter.meter_id not in hours.kwh:
                warnings.append(DataWarning("no_data", "no points in the training and scan window", site.site_id, meter.meter_id))
        scored_meters = [m for m in scored_meters if m.meter_id in hours.kwh]
        # One transaction per site: read its feedback and open alerts, score, write alerts and findings.
        with self.sessions.begin() as session:
            feedback = load_feedback(session, site.site_id, train_start)
            since = self._score_from(session, site.site_id, scan_start, self.detect.verify_hours)
            score_from = np.array([max(train_start, since.get(m.meter_id, scan_start)) for m in scored_meters], dtype=np.int64)
            terms = SiteTerms(site, tariff, self._factor(site, now, warnings))
            matrix = hours.matrix(scored_meters)
            # The declared (or usual) hours are a prior: the site's own load says when it is open.
            opening = self._learned(site, hours.hours, matrix, scored_meters)
            warnings.extend(opening.warnings(site.site_id))
            result = self.scanner.scan(
                terms,
                scored_meters,
                hours.hours,
                matrix,
                train_end=scan_start,
                score_from=score_from,
                feedback=feedback,
                opening=opening,
                budget=budget,
                temperature=temperatures_at(session, site.site_id, hours.hours) if self.detect.measured_weather else None,
            )
            warnings.extend(result.warnings)
            data_faults = faults + result.faults
            book = AlertBook(
                session, site.site_id, wall_now=int(time.time()), verify_hours=self.detect.verify_hours, window_start=train_start
            )
            counts = book.store(
                result.findings, scored_meters=result.scored, scan_start=scan_start, data_end=now, suppressed=feedback.suppressed
            )
            changes = [w for w in warnings if w.code == SCHEDULE_CHANGED]
            n_faults = store_faults(session, site.site_id, data_faults + changes, data_end=now, wall_now=int(time.time()))
            if on_scanned is not None:  # last: its write would hold SQLite's lock through the scoring
                on_scanned(session, site.site_id)
        return counts, len(result.scored), result.fitted, n_faults, warnings + data_faults, result.deferred

    def _learned(self, site: Site, hours: np.ndarray, matrix: np.ndarray, meters: list[Meter]):
        """The site's opening hours learnt from its window, reused while the window has not moved
        (passes a minute apart share an hour's learning)."""
        prior = self.opening.get(site.site_id) or opening_hours(site)
        key = (int(hours[0]) if hours.size else 0, int(hours.size), tuple(m.meter_id for m in meters), prior)
        cached = self._opening_cache.get(site.site_id)
        if cached is None or cached[0] != key:
            cached = (key, learn(prior, hours, matrix, meters, *local_calendar(hours, site.timezone)))
            self._opening_cache[site.site_id] = cached
        return cached[1]

    @staticmethod
    def _score_from(session: Session, site_id: str, scan_start: int, verify_hours: int = VERIFY_HOURS) -> dict[str, int]:
        """Per meter, the earliest hour to re-score: the start of an alert ongoing or closed in the
        last day, or the episode of a fix being watched."""
        since: dict[str, int] = {}
        rows = session.execute(
            select(
                AlertRecord.meter_id,
                AlertRecord.started_at,
                AlertRecord.ongoing,
                AlertRecord.resolved_at,
                AlertRecord.verification,
                AlertRecord.status,
            ).where(
                AlertRecord.site_id == site_id,
                (AlertRecord.ongoing.is_(True))
                | (AlertRecord.ended_at >= scan_start - DAY)
                | (
                    (AlertRecord.status == AlertStatus.RESOLVED)
                    & (AlertRecord.verification.is_(None) | (AlertRecord.verification == Verification.WATCHING))
                ),
            )
        )
        for meter_id, started_at, ongoing, resolved_at, verification, status in rows:
            # Ongoing, or closed within a day: re-scored whole, so a leak's next night joins its alert.
            at = started_at if ongoing or status != AlertStatus.RESOLVED else scan_start
            if status == AlertStatus.RESOLVED and resolved_at is not None and verification in (None, Verification.WATCHING):
                at = min(at, max(resolved_at - verify_hours * HOUR, started_at))
            since[meter_id] = min(since.get(meter_id, scan_start), at // HOUR * HOUR)
        return since

    def _factor(self, site: Site, now: int, warnings: list[DataWarning]) -> EmissionFactor | None:
        year = local_date(now - 1, site.timezone).year
        try:
            return electricity_factor(site.province, year)
        except LookupError as exc:
            warnings.append(
                DataWarning("emission_factor_missing", str(exc), site.site_id, data={"province": site.province, "year": year})
            )
            return None
