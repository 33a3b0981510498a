"""Managers' feedback: "not waste" suppressions that keep similar alerts quiet and reach retraining.

A ``SuppressionRecord`` (written by the API) names a meter, optionally a kind, a window
of local hours and an expiry. Detection honours it twice: a finding whose excess falls
mostly in those hours opens no alert, and the hours count as normal when the meter's
baseline is retrained (never down-weighted as outliers), so the new pattern is learnt.
Hours of alerts still believed to be waste are, on the contrary, left out of training.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.db.tables import AlertRecord, SuppressionRecord
from models.episodes import WasteEpisode

#: Share of a finding's excess hours inside a suppressed window that makes it "similar".
SIMILAR_SHARE = 0.5
#: Hours each (local hour, day kind) cell of a baseline keeps in training whatever the alerts
#: say. Leaving out every hour of a false alert empties its cell week by week (a landscape
#: light's weekend evenings: 8 days in a 28-day window), the fit then guesses the cell from
#: the others, and each guess raises the next false alert.
MIN_CELL_HOURS = 3


@dataclass(frozen=True, slots=True)
class Suppression:
    meter_id: str
    kind: str | None
    hour_start: int
    hour_end: int
    valid_until: int | None

    def covers(self, local_hours: np.ndarray) -> np.ndarray:
        h = np.asarray(local_hours)
        if self.hour_start == self.hour_end or (self.hour_start == 0 and self.hour_end >= 24):
            return np.ones(h.shape, dtype=bool)
        if self.hour_start < self.hour_end:
            return (h >= self.hour_start) & (h < self.hour_end)
        return (h >= self.hour_start) | (h < self.hour_end)

    def active(self, at: int) -> bool:
        return self.valid_until is None or at < self.valid_until


@dataclass(frozen=True, slots=True)
class SiteFeedback:
    """A site's suppressions by meter, and the hours of its alerts still considered waste."""

    suppressions: dict[str, list[Suppression]]
    waste_spans: dict[str, list[tuple[int, int]]]

    def suppressed(self, finding: WasteEpisode) -> bool:
        """True when an active suppression for the meter (and kind) covers most of the finding's hours."""
        hours = np.array(finding.local_hours or (), dtype=int)
        for s in self.suppressions.get(finding.meter_id, ()):
            if s.kind not in (None, finding.kind) or not s.active(finding.started_at):
                continue
            if hours.size == 0 or s.covers(hours).mean() >= SIMILAR_SHARE:
                return True
        return False

    def training_masks(
        self,
        meter_id: str,
        hours: np.ndarray,
        local_hours: np.ndarray,
        workday: np.ndarray | None = None,
        known: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(trusted, excluded) hour masks for a meter's training window.

        Trusted: inside a suppressed window while it was valid (a manager said normal).
        Excluded: inside an alert still counted as waste, so a long leak is not learnt;
        with ``workday`` given, a cell that would keep fewer than ``MIN_CELL_HOURS`` known
        hours (``known``, default all) gets back its most recent alert hours up to that
        number, no more: the robust fit gives those few no weight if they are still waste.
        """
        trusted = np.zeros(hours.size, dtype=bool)
        for s in self.suppressions.get(meter_id, ()):
            valid = hours < s.valid_until if s.valid_until is not None else np.ones(hours.size, dtype=bool)
            trusted |= s.covers(local_hours) & valid
        excluded = self._in_waste(meter_id, hours) & ~trusted
        if workday is not None and excluded.any():
            known = np.ones(hours.size, dtype=bool) if known is None else np.asarray(known, dtype=bool)
            cell = np.asarray(local_hours, dtype=np.int64) * 2 + np.asarray(workday, dtype=bool)
            kept = np.bincount(cell[known & ~excluded], minlength=48)
            for c in np.flatnonzero(kept < MIN_CELL_HOURS).tolist():
                back = np.flatnonzero(excluded & known & (cell == c))
                excluded[back[max(back.size - (MIN_CELL_HOURS - kept[c]), 0) :]] = False
        return trusted, excluded

    def waste_share(self, meter_id: str, hours: np.ndarray, known: np.ndarray) -> float:
        """Share of the ``known`` hours of a training window that lie in alerts still counted as waste."""
        n = int(np.count_nonzero(known))
        return float(np.count_nonzero(self._in_waste(meter_id, hours) & known)) / n if n else 0.0

    def _in_waste(self, meter_id: str, hours: np.ndarray) -> np.ndarray:
        inside = np.zeros(hours.size, dtype=bool)
        for start, end in self.waste_spans.get(meter_id, ()):
            inside |= (hours >= start) & (hours < end)
        return inside


def load_feedback(session: Session, site_id: str, since: int) -> SiteFeedback:
    """The suppressions and waste alert spans of ``site_id`` relevant after ``since``."""
    suppressions: dict[str, list[Suppression]] = defaultdict(list)
    for row in session.scalars(
        select(SuppressionRecord).where(
            SuppressionRecord.site_id == site_id,
            or_(SuppressionRecord.valid_until.is_(None), SuppressionRecord.valid_until >= since),
        )
    ):
        suppressions[row.meter_id].append(
            Suppression(
                row.meter_id,
                row.kind,
                int(row.hour_start or 0),
                int(row.hour_end if row.hour_end is not None else 24),
                row.valid_until,
            )
        )
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for meter_id, start, end in session.execute(
        select(AlertRecord.meter_id, AlertRecord.started_at, AlertRecord.ended_at).where(
            AlertRecord.site_id == site_id,
            AlertRecord.ended_at >= since,
            or_(AlertRecord.feedback.is_(None), AlertRecord.feedback != "not_waste"),
        )
    ):
        spans[meter_id].append((int(start), int(end)))
    return SiteFeedback(dict(suppressions), dict(spans))
