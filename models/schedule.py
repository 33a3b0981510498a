"""Opening hours of a site's public spaces: the prior that models.opening corrects from the load.

A site's declared opening hours (the registry's ``opening_hours``, from its meta announcement
or the API) are the prior when it has them. Otherwise the prior is generic: one broad window
for every type, closed on days off where the type's spaces close then. Neither is a
requirement: models.opening learns each site's own hours from its first days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.domain import DeclaredHours, Site, SiteType


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


#: Types whose public spaces are in use every day (residents, shoppers); offices and factories
#: close on days off. Which days, not which hours: that much holds for any such property.
OPEN_EVERY_DAY = frozenset({SiteType.RESIDENTIAL, SiteType.MALL})
#: The window assumed open when a site declares none, the same for every type: our judgement,
#: broad on purpose. Too broad misses after-hours waste at its edges; too narrow calls a site's
#: normal opening waste. Both last only until models.opening has the site's own hours from two
#: days of its load (it replaces the prior from the window's start), and the first costs no
#: false alert. 07:00-22:00 holds most offices, factories on day shift, malls and residents' days.
GENERIC_WINDOW = (7, 22)


def generic_hours(site_type: SiteType) -> OpeningHours:
    """The prior of a site that declares no hours."""
    return OpeningHours(GENERIC_WINDOW, GENERIC_WINDOW if site_type in OPEN_EVERY_DAY else None)


def hour_cells(declared: DeclaredHours) -> OpeningHours:
    """Declared hours as whole local hours: an hour open for half of it counts as open (a mall
    opening at 09:30 runs its HVAC from 09:00), so an open time rounds down and a close up."""

    def cells(window: tuple[float, float] | None) -> tuple[int, int] | None:
        return None if window is None else (math.floor(window[0]), math.ceil(window[1]))

    return OpeningHours(cells(declared.workday), cells(declared.other))


def opening_hours(site: Site) -> OpeningHours:
    """The site's prior: its declared hours, else the generic ones."""
    if site.opening_hours is not None:
        return hour_cells(site.opening_hours)
    return generic_hours(site.site_type)
