"""Opening hours of a site's public spaces: when HVAC, lobby lights and people are expected.

The registry does not hold a site's opening hours yet, so these are the usual hours of
each kind of Chinese property; a deployment can pass its own per site to the detector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.domain import SiteType


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Local opening hours [open, close) on working days and on other days (None: closed)."""

    workday: tuple[int, int] | None
    other: tuple[int, int] | None

    def is_open(self, hour: np.ndarray, workday: np.ndarray, ordinal: np.ndarray | None = None) -> np.ndarray:
        """1.0 for each (local hour, workday flag) inside the opening hours, else 0.0 (the same every
        day: ``ordinal``, the local date, matters only to hours learned per day, models.opening)."""
        hour = np.asarray(hour)
        out = np.zeros(hour.shape)
        for window, days in ((self.workday, np.asarray(workday) > 0), (self.other, np.asarray(workday) <= 0)):
            if window is not None:
                out[days & (hour >= window[0]) & (hour < window[1])] = 1.0
        return out


#: Public areas of residential compounds are "open" while residents are up; offices and
#: factories close at weekends; malls open every day.
DEFAULT_OPENING_HOURS: dict[SiteType, OpeningHours] = {
    SiteType.RESIDENTIAL: OpeningHours((6, 23), (6, 23)),
    SiteType.OFFICE: OpeningHours((8, 19), None),
    SiteType.MALL: OpeningHours((10, 22), (10, 22)),
    SiteType.INDUSTRIAL: OpeningHours((8, 20), None),
}


def opening_hours(site_type: SiteType) -> OpeningHours:
    return DEFAULT_OPENING_HOURS[site_type]
