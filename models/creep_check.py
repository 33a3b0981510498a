"""``CreepCheck``: base-load creep (``models.creep``) on the meters whose base load can creep,
followed from pass to pass (``models.held_creep``)."""

from __future__ import annotations

import numpy as np

from core.domain import Meter
from models.creep import BaseLoadCreep, Creep
from models.detector import SiteView
from models.episodes import WasteEpisode
from models.features import OPEN_COL, WORKDAY_COL
from models.held_creep import HeldCreep
from models.kinds import BASE_LOAD_CREEP, HVAC, applying
from models.measure import Span, measure
from models.quality import DataWarning
from models.stuck import MIN_RATED_SHARE as STUCK_RATED_SHARE, zero_runs

#: Categories whose base load can creep (motors and HVAC): those whose row in the category
#: table (core.categories) names base-load creep.
CREEP_CATEGORIES = frozenset(c.value for c in applying(BASE_LOAD_CREEP))


class CreepCheck:
    """One instance per scanner: it holds the creeps found, meter by meter."""

    def __init__(self, creep: BaseLoadCreep | None = None) -> None:
        self.creep = creep or BaseLoadCreep()
        # meter -> the creep found on it, followed against the level it was found against
        # until it is gone (see BaseLoadCreep.follow); in memory only, unlike the baselines,
        # so a restarted worker measures a creep against its window again.
        self._held: dict[str, HeldCreep] = {}

    def scan(self, view: SiteView, findings: list[WasteEpisode], faults: list[DataWarning]) -> None:
        meters, hours, kwh, X, baselines = view.meters, view.hours, view.kwh, view.features, view.baselines
        cols = [j for j, m in enumerate(meters) if baselines[j] is not None and m.category.value in CREEP_CATEGORIES]
        if not cols:
            return
        offset, base = self.creep.daily_base(_unfrozen(view, cols), X[:, OPEN_COL] <= 0)
        kinds = self.creep.day_kinds(X[:, WORKDAY_COL] > 0, offset)
        ref_days = self.creep.reference_days(base)
        reference = self.creep.reference(base, kinds, ref_days)
        held = [self._held.pop(meters[j].meter_id, None) for j in cols]
        window = reference.copy()
        for k, h in enumerate(held):
            if h is not None:
                reference[:, k] = h.reference(kinds)
        rated = np.array([meters[j].rated_kw for j in cols])
        for k in np.flatnonzero(self.creep.candidates(base, rated, reference)).tolist():
            j = cols[k]
            meter = meters[j]
            daily = base[:, k] - self._weather_drift(view, j, kinds, ref_days[:, k : k + 1])
            found = self._found(meter, daily, offset, hours, kinds, held[k], (window[:, k], ref_days[:, k], reference[:, k]))
            if found is None:
                continue
            actual = kwh[:, j]
            expected = actual.copy()
            expected[found.start :] = actual[found.start :] - found.excess
            span = Span(found.start, hours.size, BASE_LOAD_CREEP, hours.size - 1, True, int(hours.size - found.start))
            creep = measure(view.terms, meter, span, hours, actual, expected, view.local)
            # The creep explains the meter's excess since it began: no second alert for it.
            findings[:] = [f for f in findings if f.meter_id != meter.meter_id or f.ended_at <= creep.started_at]
            findings.append(creep)

    def _weather_drift(self, view: SiteView, j: int, kinds: np.ndarray, ref_days: np.ndarray) -> np.ndarray:
        """The daily base-load rise meter ``j``'s baseline itself expects (HVAC only; zeros otherwise)."""
        X = view.features
        if view.meters[j].category not in HVAC:
            return np.zeros(ref_days.shape[0])
        # What the baseline knows moves an HVAC base load too (the season's cooling need
        # at night): only the rise beyond the baseline's own drift can be a creep. Pumps
        # and compressors do not follow the weather; a baseline fitted over their creep
        # would read the creep as the season warming and take it off.
        expected = np.clip(view.baselines[j].baseline.predict(X), 0.0, None)
        drift = self.creep.daily_base(expected[:, None], X[:, OPEN_COL] <= 0)[1][:, 0]
        return np.nan_to_num(drift - self.creep.reference(drift[:, None], kinds, ref_days)[:, 0], nan=0.0)

    def _found(
        self,
        meter: Meter,
        daily: np.ndarray,
        offset: int,
        hours: np.ndarray,
        kinds: np.ndarray,
        followed: HeldCreep | None,
        levels: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> Creep | None:
        """A creep on ``meter``'s daily base load: found anew, or the one followed still there."""
        window, ref_days, reference = levels
        found = None
        if followed is None or followed.is_level(daily, window, ref_days):
            # Not followed yet, or the window's lowest days are a level, not its climb.
            found = self.creep.find(daily, offset, meter.rated_kw, window)
            if found is not None:
                self._held[meter.meter_id] = HeldCreep.of(int(hours[found.start]), found, daily, window, kinds)
        if found is None and followed is not None:
            found = self.creep.follow(daily, offset, meter.rated_kw, reference, int(np.searchsorted(hours, followed.start_ts)))
            if found is not None:
                self._held[meter.meter_id] = followed
        return found


def _unfrozen(view: SiteView, cols: list[int]) -> np.ndarray:
    """The kWh of meters ``cols`` over the window, hours of a frozen register unknown: runs of exact
    zeros, and the hour either side, where the meter's baseline expects a draw (``models.stuck``'s
    bar of the rating).

    A frozen register's day reads as a base load of zero: a creep followed from pass to pass then
    looked fixed that day and was dropped, and its nights came back as after-hours HVAC alerts
    (realistic seed 65537, a chiller, six alerts). A meter truly off at night is expected near zero
    there and keeps its zeros."""
    kwh = view.kwh[:, cols]
    runs = zero_runs(kwh)
    which = np.flatnonzero(runs.any(axis=0))
    if which.size == 0:
        return kwh
    # The hours either side of a run froze or resumed inside them: they hold part of an hour (a
    # compressor's 19:00 hour, frozen at 19:30, read half its leak and passed for a day of a climb).
    runs[1:] |= runs[:-1].copy()
    runs[:-1] |= runs[1:].copy()
    kwh = kwh.copy()
    for k in which.tolist():
        meter = view.meters[cols[k]]
        expected = view.baselines[cols[k]].baseline.predict(view.features)
        kwh[runs[:, k] & (expected > STUCK_RATED_SHARE * meter.rated_kw), k] = np.nan
    return kwh
