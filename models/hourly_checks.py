"""``HourlyChecks``: the targeted waste checks (``models.kinds``) on each meter's hourly scores."""

from __future__ import annotations

import numpy as np

from models.day_spans import FOLLOWERS
from models.detector import SiteView
from models.episodes import WasteEpisode
from models.features import DAYLIGHT_COL, OPEN_COL
from models.kinds import NOT_JUDGED, hour_kinds, strong_shares
from models.measure import Span, measure
from models.quality import DataWarning

#: Score units a meter must reach in some scanned hour before its episodes are looked for.
CANDIDATE_SCORE = 3.0


def candidates(scores: np.ndarray) -> np.ndarray:
    """Columns of ``scores`` (hours x meters) with some hour above CANDIDATE_SCORE."""
    return np.flatnonzero(np.nanmax(np.where(np.isnan(scores), -np.inf, scores), axis=0) > CANDIDATE_SCORE)


class HourlyChecks:
    """Episodes of persistent excess, each named by the kind of the hours holding most of it."""

    def scan(self, view: SiteView, findings: list[WasteEpisode], faults: list[DataWarning]) -> None:
        first, X = view.first, view.features
        scan_hours = view.hours[first:]
        # Per category, each hour's waste kind and whether one strong hour may alert in it.
        context: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        closed = X[first:, OPEN_COL] <= 0
        for k in candidates(view.scores).tolist():
            meter = view.meters[view.cols[k]]
            if meter.category.value not in context:
                context[meter.category.value] = (
                    hour_kinds(
                        meter.category,
                        local_hours=view.local[first:],
                        daylight=X[first:, DAYLIGHT_COL],
                        open_=X[first:, OPEN_COL],
                    ),
                    strong_shares(meter.category, X[first:, DAYLIGHT_COL], view.open_ahead),
                )
            kinds, shares = context[meter.category.value]
            if meter.category in FOLLOWERS and view.together is not None and view.together.any():
                kinds = np.where(view.together, NOT_JUDGED, kinds)
            a = np.where(view.own[:, k], view.actual[:, k], np.nan)
            for ep in view.residual.episodes(
                a, view.expected[:, k], view.scale[:, k], kinds, meter.rated_kw, view.relief, closed=closed, strong_share=shares
            ):
                span = Span(ep.start, ep.stop, ep.kind, ep.detected, ep.ongoing, ep.excess_hours)
                findings.append(measure(view.terms, meter, span, scan_hours, a, view.expected[:, k], view.local[first:]))
