"""``SiteScanner``: one site's hourly matrix -> baselines (reused or refitted) -> findings.

Everything is vectorised over the site's meters: one design, one solve for the stale
baselines, one gather for the expected consumption, one comparison for the scores.
Only meters with excess hours reach the per-episode code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from core.domain import Meter
from core.timebase import HOUR
from models import detectors as registry
from models.bank import BaselineBank, StoredBaseline
from models.budget import FitBudget
from models.creep import BaseLoadCreep
from models.creep_check import CREEP_CATEGORIES
from models.day_spans import DOOR_FOLLOWERS
from models.detector import Detector, SiteView
from models.episodes import WasteEpisode
from models.features import HOUR_COL, OPEN_COL, WORKDAY_COL, hour_features, local_hour
from models.feedback import SiteFeedback
from models.hourly_checks import candidates as hourly_candidates
from models.kinds import HVAC
from models.measure import SiteTerms
from models.meter_edges import CONFIRM_DAYS, MeterEdges, learn_edges, place, up_on_moved_edges
from models.multivariate import SiteResidualForest
from models.opening import LearnedHours
from models.profile import ProfileBaseline
from models.quality import MIN_HISTORY_DAYS, DataWarning, check_sufficiency
from models.residual import ResidualDetector
from models.schedule import OpeningHours, opening_hours
from models.stuck import stuck_matrix, zero_runs
from models.together import EDGE_HOURS, open_together

#: Score units the multivariate verdict takes off a meter's threshold in an outlying hour:
#: a meter at 3+ units while the site as a whole looks wrong is excess.
MULTIVARIATE_RELIEF = 1.0
#: Fewest meters for a site forest: with fewer, a joint pattern is just one meter's.
MIN_FOREST_METERS = 3
#: Share of a training window's known hours in alerted waste above which a meter keeps its
#: last baseline instead of refitting: the rest is too little to learn its normal from.
MAX_WASTE_SHARE = 0.5
#: Hours of a meter's new normal a (local hour, day kind) cell must hold in training before the
#: meter is judged there again after its own edge moved (``models.meter_edges``): as many as
#: the days that confirm such a move.
EDGE_LEARNT_HOURS = CONFIRM_DAYS


@dataclass(slots=True)
class SiteScan:
    """What a scan found: waste findings, data faults, warnings, and per-hour scores."""

    findings: list[WasteEpisode] = field(default_factory=list)
    faults: list[DataWarning] = field(default_factory=list)
    warnings: list[DataWarning] = field(default_factory=list)
    scored: list[str] = field(default_factory=list)
    fitted: int = 0
    #: Meters whose due fit waits for a later pass (the budget was spent).
    deferred: int = 0
    #: Scored hours (from the earliest score_from) and their scores, one column per scored meter.
    hours: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    scores: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    expected: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))


class SiteScanner:
    """Scores a site's meters against their baselines and turns persistent excess into findings."""

    def __init__(
        self,
        bank: BaselineBank,
        detector: ResidualDetector | None = None,
        creep: BaseLoadCreep | None = None,
        baseline: ProfileBaseline | None = None,
        multivariate: bool = True,
    ) -> None:
        self.multivariate = multivariate
        # site -> (identity of its baselines, the forest fitted on their training scores)
        self._forests: dict[str, tuple] = {}
        self.bank = bank
        self.detector = detector or ResidualDetector()
        self.creep = creep or BaseLoadCreep()
        self.baseline = baseline or ProfileBaseline()
        # site -> (identity of its baselines, their stack, the baselines kept alive for the identity)
        self._stacks: dict[str, tuple] = {}
        # site -> (the whole days its meters' own edges were learnt from, the moves learnt)
        self._edges: dict[str, tuple] = {}
        #: One of each registered detector, kept for the scanner's life (they may hold state).
        self.detectors: list[Detector] = [make() for make in registry.DETECTORS]

    def scan(
        self,
        terms: SiteTerms,
        meters: list[Meter],
        hours: np.ndarray,
        kwh: np.ndarray,
        *,
        train_end: int,
        score_from: np.ndarray,
        feedback: SiteFeedback,
        opening: OpeningHours | None = None,
        budget: FitBudget | None = None,
        temperature: np.ndarray | None = None,
    ) -> SiteScan:
        """Scan ``kwh`` (hours x meters, NaN unknown); meter j is scored from ``score_from[j]``.

        ``budget`` bounds the fitting of this pass (none: fit whatever is due). ``temperature``:
        the site's measured outdoor temperature at each of ``hours`` (NaN unknown), or None.
        """
        out = SiteScan()
        budget = budget or FitBudget()
        site = terms.site
        X = hour_features(hours, site, opening=opening, measured=temperature)
        local = local_hour(hours, site.timezone)
        train = hours < train_end
        learned = opening if isinstance(opening, LearnedHours) else LearnedHours(opening_hours(site))
        edges = self._meter_edges(site.site_id, meters, hours, kwh, X, local, learned)
        out.faults.extend(edges.warnings(site.site_id, meters))
        baselines = self._baselines(site, meters, hours, kwh, X, local, train, train_end, feedback, out, budget, learned, edges)
        cols = [j for j, b in enumerate(baselines) if b is not None]
        if not cols:
            return out
        first = int(np.searchsorted(hours, int(np.min(score_from[cols]))))
        stack = self._stack(site.site_id, [baselines[j] for j in cols])
        expected = np.clip(stack.predict(X[first:]), 0.0, None)
        actual = kwh[first:, cols].copy()
        scale = stack.residual_scale(expected)
        scan_hours = hours[first:]
        stuck, faults = stuck_matrix(actual, expected, scale, scan_hours, [meters[j] for j in cols])
        actual[stuck] = np.nan
        out.faults.extend(faults)
        # Hours of a day kind the baseline has not seen yet (a week-old meter on its first
        # Sunday) are borrowed guesses: not judged.
        actual = np.where(stack.seen(X[first:]), actual, np.nan)
        scores = self.detector.score(actual, expected, scale)
        # Followers up together next to the opening hours: the site was open, not left on. The
        # meters switched with the doors vote; lifts follow the people (an industrial park's
        # compressor and lobby light up at 07:00, its opening moved to 7:30, were two of seven
        # followers with its lifts, under a third, and alerted two mornings running).
        # The open state runs past the newest reading: the schedule is known ahead, and a pass at
        # midnight must see 23:00 as the last open hour (a mall's lobby lights, up at 23:00 after
        # its close moved from 23:30 to 24:00, alerted at every pass that ended there).
        open_ahead = np.concatenate([X[first:, OPEN_COL], _open_after(hours, site, opening)])
        up = up_on_moved_edges(scores, edges.moved[first:][:, cols])
        together = open_together(
            np.vstack([up, np.full((open_ahead.size - up.shape[0], up.shape[1]), np.nan)]),
            np.array([meters[j].category in DOOR_FOLLOWERS for j in cols]),
            open_ahead,
        )[: up.shape[0]] | _unlearnt(learned, hours, X, train, first)
        # Hours before a meter's own score_from are context only.
        own = scan_hours[:, None] >= score_from[cols][None, :]
        scores = np.where(own, scores, np.nan)
        candidates = hourly_candidates(scores)
        # The forest only ever lowers thresholds of meters already at 3 units: skip it when none is.
        relief = self._relief(site.site_id, stack, X, kwh[:, cols], train, scores, budget) if candidates.size else 0.0
        # A meter's own moved edge is not judged until training holds its new normal; the site-wide
        # reads above (followers up together, the forest) see the meter as it is.
        unlearnt = _edge_unlearnt(edges, X, train, first)[:, cols]
        own &= ~unlearnt
        scores = np.where(unlearnt, np.nan, scores)
        out.hours, out.scores, out.expected = scan_hours, scores, expected
        out.scored = [meters[j].meter_id for j in cols]
        view = SiteView(
            terms,
            meters,
            hours,
            kwh,
            X,
            local,
            baselines,
            train_end,
            cols,
            first,
            actual,
            expected,
            scale,
            scores,
            own,
            relief,
            self.detector,
            together,
            open_ahead,
        )
        for detector in self.detectors:
            detector.scan(view, out.findings, out.faults)
        return out

    def _relief(
        self,
        site_id: str,
        stack: ProfileBaseline,
        X: np.ndarray,
        kwh: np.ndarray,
        train: np.ndarray,
        scores: np.ndarray,
        budget: FitBudget,
    ) -> np.ndarray | float:
        """Per scanned hour, the threshold relief where the site forest calls the hour an outlier.

        A forest fitted on the site's previous baselines serves until the budget lets it be refitted.
        """
        if not self.multivariate or kwh.shape[1] < MIN_FOREST_METERS or train.sum() < 48:
            return 0.0
        key = self._stacks[site_id][0]
        cached = self._forests.get(site_id)
        if (cached is None or cached[0] != key) and budget.allows(essential=False):
            with budget.fitting():
                expected = np.clip(stack.predict(X[train]), 0.0, None)
                history = ResidualDetector.score(kwh[train], expected, stack.residual_scale(expected))
                cached = (key, SiteResidualForest().fit(history))
            self._forests[site_id] = cached
        if cached is None or cached[1].n_features_in_ != scores.shape[1]:
            return 0.0
        outlier = cached[1].score(scores) > 0
        return np.where(outlier, MULTIVARIATE_RELIEF, 0.0)

    def share_forest(self, source: str, site_ids: list[str]) -> int:
        """Give ``site_ids`` the forest of ``source`` where their baselines are the very same
        objects (a benchmark's sites cloned from one template); returns how many took it."""
        forest = self._forests.get(source)
        shared = 0
        for site_id in site_ids:
            stack = self._stacks.get(site_id)
            if forest is not None and stack is not None and stack[0] == forest[0]:
                self._forests[site_id] = forest
                shared += 1
        return shared

    def has_forest(self, site_id: str) -> bool:
        return site_id in self._forests

    def _stack(self, site_id: str, stored: list[StoredBaseline]) -> ProfileBaseline:
        """The site's baselines as one multi-output model, rebuilt only when one of them changed."""
        key = tuple(id(s) for s in stored)
        cached = self._stacks.get(site_id)
        if cached is None or cached[0] != key:
            cached = (key, ProfileBaseline.stack([s.baseline for s in stored]), stored)
            self._stacks[site_id] = cached
        return cached[1]

    def _meter_edges(
        self, site_id: str, meters: list[Meter], hours: np.ndarray, kwh: np.ndarray, X: np.ndarray, local: np.ndarray, learned
    ) -> MeterEdges:
        """The meters' own moved edges (``models.meter_edges``), learnt again once a day of data time."""
        workday = X[:, WORKDAY_COL] > 0
        firsts = np.flatnonzero(local == 0)
        key = (
            int(hours[firsts[0]]) if firsts.size else 0,
            (hours.size - int(firsts[0])) // 24 if firsts.size else 0,
            tuple(m.meter_id for m in meters),
        )
        cached = self._edges.get(site_id)
        if cached is None or cached[0] != key:
            every_day = learned.prior.workday == learned.prior.other
            cached = (key, learn_edges(hours, kwh, meters, local, workday, every_day=every_day))
            self._edges[site_id] = cached
        edges = place(cached[1], hours, local, workday, len(meters))
        turned = learned.turned_at(hours)
        # A move the site's own change explains (its hours turned there too) is the site's, not the meter's.
        own = [m for m in edges.moves if not (turned[edges.moved[:, m.meter]]).all()]
        return edges if len(own) == len(edges.moves) else place(own, hours, local, workday, len(meters))

    def _baselines(
        self,
        site,
        meters,
        hours,
        kwh,
        X,
        local,
        train,
        train_end,
        feedback,
        out,
        budget,
        learned: LearnedHours,
        edges: MeterEdges,
    ) -> list:
        """The meters' baselines: reused from the bank, refitted together when stale, or borrowed.

        When the budget says wait, a stale baseline serves on and a meter with none borrows
        what similar meters draw (not saved: its own fit comes in a later pass). A baseline
        fitted before a learned schedule change was confirmed is stale whatever its age.
        """
        self.bank.load_site(site, meters)
        result: list[StoredBaseline | None] = [None] * len(meters)
        refit = self._kept(site, meters, hours, kwh, train, train_end, out, learned, edges, result)
        if refit and not budget.allows():
            self._wait(site, meters, (int(hours[0]), train_end), refit, result)
            out.deferred += len(refit)
            refit = []
        turned = learned.turned_at(hours[train])
        if refit:
            refit = self._due(meters, hours, kwh, train, feedback, turned, refit, result)
        if refit:
            began = time.perf_counter()
            superseded = learned.superseded_at(hours[train])
            if superseded.any():
                # Only cells that already hold some of their new normal give up the old one.
                cell = X[train, HOUR_COL].astype(np.int64) * 2 + (X[train, WORKDAY_COL] > 0)
                superseded &= np.isin(cell, cell[turned])
            # Public holidays unlike their kind of day teach neither kind the cells know.
            left_out = superseded | learned.odd_at(hours[train])
            used, trusted = self._masks(meters, hours, kwh, X, local, train, feedback, turned, left_out, edges, refit)
            fitted = _fit(self.baseline, X[train], np.nan_to_num(kwh[train][:, refit]), used, trusted)
            stamp = int(time.time())
            stored = []
            for k, j in enumerate(refit):
                one = fitted.output(k)
                s = StoredBaseline(meters[j].meter_id, one, int(hours[0]), train_end, stamp, dict(one.quality_[0]))
                stored.append((meters[j], s))
                result[j] = s
            self.bank.put(site, stored)
            out.fitted += len(refit)
            budget.charge(time.perf_counter() - began)
        return result

    def _kept(
        self, site, meters, hours, kwh, train, train_end, out, learned: LearnedHours, edges: MeterEdges, result
    ) -> list[int]:
        """Fill ``result`` with the bank's baselines still good (or a prior where history is short);
        the meters to refit."""
        changed = learned.believed_since
        # Data time a pass sees past its training window: a baseline ending at e was fitted at e + lookback.
        lookback = int(hours[-1]) + HOUR - train_end if hours.size else 0
        refit: list[int] = []
        counts = (~np.isnan(kwh[train])).sum(axis=0)
        for j, meter in enumerate(meters):
            # The full check only where a quick count says history may be short.
            missing = (
                []
                if counts[j] >= max(0.9 * train.sum(), 24 * MIN_HISTORY_DAYS)
                else check_sufficiency(~np.isnan(kwh[train, j]), site_id=site.site_id, meter_id=meter.meter_id)
            )
            kept = self.bank.get(meter.meter_id)
            if (
                kept is not None
                and not self.bank.needs_fit(meter.meter_id, train_end, has_history=not missing)
                and not (changed is not None and kept.window_end < changed)
                and not kept.window_end + lookback < edges.believed(j)
            ):
                result[j] = kept
            elif not missing:
                refit.append(j)
            else:
                prior = self.bank.prior(site, meter, (int(hours[0]), train_end))
                if prior is None:
                    out.warnings.extend(missing)
                    continue
                self.bank.put(site, [(meter, prior)])
                result[j] = prior
        return refit

    def _wait(self, site, meters, window: tuple[int, int], refit: list[int], result) -> None:
        """The budget says wait: a stale baseline serves on, a meter with none borrows (not saved)."""
        for j in refit:
            waiting = self.bank.get(meters[j].meter_id)
            if waiting is None:
                waiting = self.bank.prior(site, meters[j], window)
                if waiting is not None:
                    self.bank.lend(meters[j], waiting)
            result[j] = waiting

    def _due(self, meters, hours, kwh, train, feedback, turned: np.ndarray, refit: list[int], result) -> list[int]:
        """``refit`` less the meters whose window is mostly alerted waste: their last baseline serves on.

        A compressor with one creep after another has too few normal hours to learn from."""
        due = []
        for j in refit:
            last = self.bank.get(meters[j].meter_id)
            if (
                last is not None
                and not turned.any()
                and feedback.waste_share(meters[j].meter_id, hours[train], ~np.isnan(kwh[train, j])) > MAX_WASTE_SHARE
            ):
                result[j] = last
            else:
                due.append(j)
        return due

    def _masks(
        self, meters, hours, kwh, X, local, train, feedback, turned, left_out, edges: MeterEdges, refit: list[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The training hours each refitted meter uses and trusts (hours x ``refit``); ``left_out``:
        hours no meter uses (a cell's superseded old normal, public holidays)."""
        Y = kwh[train][:, refit]
        used = ~np.isnan(Y) & ~left_out[:, None]
        # Waste that stopped inside the window (a creep fixed) is not the meter's normal.
        calm = [k for k, j in enumerate(refit) if meters[j].category.value in CREEP_CATEGORIES and meters[j].category not in HVAC]
        if calm:
            used[:, calm] &= ~self.creep.stopped_waste(
                Y[:, calm], X[train, OPEN_COL] <= 0, np.array([meters[refit[k]].rated_kw for k in calm])
            )
        trusted = np.zeros(Y.shape, dtype=bool)
        frozen = zero_runs(Y)
        cell = X[train, HOUR_COL].astype(np.int64) * 2 + (X[train, WORKDAY_COL] > 0)
        for k, j in enumerate(refit):
            # A meter's own moved edge: its new normal as a site change's turned hours are, and
            # the old normal of its cells dropped once they hold some of the new one.
            new = turned | edges.moved[train, j]
            used[:, k] &= ~(edges.superseded[train, j] & np.isin(cell, cell[edges.moved[train, j]]))
            t, excluded = feedback.training_masks(
                meters[j].meter_id, hours[train], local[train], X[train, WORKDAY_COL] > 0, used[:, k]
            )
            # Hours a schedule change turned are the new normal: trusted, never left out; but not a
            # frozen register's zeros in them (used, so a meter truly off there still teaches it).
            trusted[:, k] = t | (new & ~frozen[:, k])
            used[:, k] &= ~(excluded & ~new)
        return used, trusted


def _open_after(hours: np.ndarray, site, opening: OpeningHours | None) -> np.ndarray:
    """Whether the site is open in each of the ``EDGE_HOURS`` hours after ``hours`` (its schedule)."""
    ahead = int(hours[-1]) + HOUR * np.arange(1, EDGE_HOURS + 1, dtype=np.int64)
    return hour_features(ahead, site, opening=opening)[:, OPEN_COL]


def _unlearnt(learned: LearnedHours, hours: np.ndarray, X: np.ndarray, train: np.ndarray, first: int) -> np.ndarray:
    """Per scanned hour, whether a schedule change turned it while its (local hour, day kind) cell
    has none of the new normal in training yet: the baseline still expects the old hours there.

    Training ends where the scan starts, two days back, so for the first two days after a change
    is believed its baselines know only the old normal of the cells it turned: a mall now closing
    at midnight had its lobby lights and lifts alerted at 22:00-24:00 on those days. The
    occupancy followers are not judged there until the cell holds some new normal; waste in
    hours a shortened schedule closed goes unseen for those days (the trade-off).
    """
    scan = learned.turned_at(hours[first:])
    if not scan.any():
        return scan
    cell = X[:, HOUR_COL].astype(np.int64) * 2 + (X[:, WORKDAY_COL] > 0)
    learnt = cell[np.flatnonzero(train)][learned.turned_at(hours[train])]
    return scan & ~np.isin(cell[first:], learnt)


def _edge_unlearnt(edges: MeterEdges, X: np.ndarray, train: np.ndarray, first: int) -> np.ndarray:
    """Per scanned hour and meter, whether the hour is on the meter's moved edge while its (local
    hour, day kind) cell holds fewer than ``EDGE_LEARNT_HOURS`` of that meter's new normal in
    training: one or two hours of a cell hardly move its fitted level (a residential HVAC's new
    05:00 alerted on the first Saturday and Sunday after its move was learnt)."""
    scan = edges.moved[first:]
    if not scan.any():
        return scan
    cell = X[:, HOUR_COL].astype(np.int64) * 2 + (X[:, WORKDAY_COL] > 0)
    out = np.zeros_like(scan)
    for j in np.flatnonzero(scan.any(axis=0)).tolist():
        held, counts = np.unique(cell[np.flatnonzero(train)][edges.moved[train, j]], return_counts=True)
        out[:, j] = scan[:, j] & ~np.isin(cell[first:], held[counts >= EDGE_LEARNT_HOURS])
    return out


def _fit(template: ProfileBaseline, X: np.ndarray, Y: np.ndarray, used: np.ndarray, trusted: np.ndarray) -> ProfileBaseline:
    """One multi-output fit; a meter with no usable training hour gets weight everywhere (never happens
    after the sufficiency check, but a zero column must not fail the whole site)."""
    used = used.copy()
    used[:, ~used.any(axis=0)] = True
    model = ProfileBaseline(**template.get_params())
    return model.fit(X, Y, sample_weight=used.astype(float), trusted=trusted)
