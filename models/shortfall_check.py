"""``ShortfallCheck``: meters clearly below their baseline, as shortfall and flat-line data findings."""

from __future__ import annotations

from models import shortfall
from models.detector import SiteView
from models.episodes import WasteEpisode
from models.features import local_calendar
from models.quality import DataWarning
from models.reference import day_keys


class ShortfallCheck:
    """Shortfalls are data findings, never waste: they go to ``faults``."""

    def scan(self, view: SiteView, findings: list[WasteEpisode], faults: list[DataWarning]) -> None:
        picked = shortfall.candidates(view.scores, view.actual, view.expected)
        if picked.size == 0:
            return
        site = view.terms.site
        _, ordinal, workday = local_calendar(view.hours, site.timezone)
        day_key = day_keys((ordinal - 1) % 7, workday)  # ordinal 1 (0001-01-01) was a Monday
        kwh = view.kwh[:, view.cols]
        for k in picked.tolist():
            faults.extend(
                shortfall.find(
                    site.site_id, view.meters[view.cols[k]], view.hours, kwh[:, k], view.local, day_key, view.train_end
                )
            )
