"""The opening hours a site's manager declares in its meta announcement: an option, off by default.

Most real managers declare none, so by default the simulator announces none and the detector
must learn every site's hours from its load. With the option on, a site declares the hours in
force when its gateway was set up (the start of the simulation) and never updates them: a
declaration gone stale after a schedule change is what a real portfolio has too.
"""

from __future__ import annotations

from dataclasses import replace

from core.domain import DeclaredHours, Site
from simulators.realism import HoursTable, Realism
from simulators.schedules import OPENING_HOURS


def declared_hours(table: HoursTable) -> DeclaredHours:
    """A day-kind table as a manager declares it: working days, and weekends for all other days."""
    return DeclaredHours(table["workday"], table["weekend"])


def announced_site(site: Site, realism: Realism | None = None, at: int = 0) -> Site:
    """``site`` declaring the opening hours it has at ``at`` (its type's, or its own drawn ones)."""
    if realism is not None and realism.hours is not None and site.site_id in realism.hours:
        table = realism.hours[site.site_id].at(at)
    else:
        table = OPENING_HOURS[site.site_type]
    return replace(site, opening_hours=declared_hours(table))
