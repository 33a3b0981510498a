"""Domain types shared by every layer: sites, meters, readings, stored points."""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass
from typing import NamedTuple, TypeGuard

# The categories' home is core.categories; these names stay importable from here.
from core.categories import (
    GAS_CATEGORIES as GAS_CATEGORIES,
    GENERATION_CATEGORIES as GENERATION_CATEGORIES,
    MeterCategory as MeterCategory,
    unit_of as unit_of,
)
from core.timebase import HOME_TIMEZONE

#: Site and meter ids: what every store backend, topic and URL can carry unescaped.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}")


#: Builds a named tuple from a tuple of all its fields, in order, without the Python-level
#: ``__new__`` that ``collections.namedtuple`` generates (0.17 µs instead of 0.40 here): for
#: the few places that build one per reading, e.g. ``new_record(Reading, (site, meter, ts,
#: register, None))``.
new_record = tuple.__new__


@functools.lru_cache(maxsize=65536)
def valid_id_text(value: str) -> bool:
    """``valid_id`` of a value known to be a ``str`` (a hot loop that checked the type already)."""
    return ID_PATTERN.fullmatch(value) is not None


def valid_id(value: object) -> TypeGuard[str]:
    """True for ids every backend, topic and URL carries unescaped (cached: ids repeat all day)."""
    return isinstance(value, str) and valid_id_text(value)


class SiteType(str, enum.Enum):
    RESIDENTIAL = "residential"
    OFFICE = "office"
    INDUSTRIAL = "industrial"
    MALL = "mall"


@dataclass(frozen=True, slots=True)
class DeclaredHours:
    """Opening hours a site declares, in local hours [open, close) (half hours as .5) on working
    days and on other days; None: closed that day. A prior for the detector, never a requirement
    (rules and JSON form: ``core.site_rules.check_opening_hours``)."""

    workday: tuple[float, float] | None
    other: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class Site:
    site_id: str
    name: str
    site_type: SiteType
    city: str
    province: str
    latitude: float
    longitude: float
    timezone: str = HOME_TIMEZONE
    #: "given" (by the gateway or an administrator) or "province_capital" (none were given;
    #: see ``core.site_rules.locate``).
    location_source: str = "given"
    #: Declared opening hours; None when the site declares none (the detector learns them).
    opening_hours: DeclaredHours | None = None


@dataclass(frozen=True, slots=True)
class Meter:
    meter_id: str
    site_id: str
    category: MeterCategory
    rated_kw: float
    name: str = ""
    #: Where the register rolls over to zero (e.g. 99999.99 for a 5+2 digit display);
    #: None when unknown. Lets ingest tell a rollover from a meter replacement.
    register_max: float | None = None

    @property
    def unit(self) -> str:
        return unit_of(self.category)


class Reading(NamedTuple):
    """One register reading as a gateway reports it.

    ``ts`` is whole seconds since the Unix epoch (UTC). ``register`` is the
    cumulative counter (kWh, or m3 for gas); ``power_kw`` is optional.

    A named tuple rather than a frozen dataclass, like ``EnergyPoint``: ingest builds one
    per reading, and a frozen dataclass costs three times as much to construct (1.3 µs
    against 0.45 µs here). Copy with ``_replace``.
    """

    site_id: str
    meter_id: str
    ts: int
    register: float
    power_kw: float | None = None


class EnergyPoint(NamedTuple):
    """What the time-series store holds: a reading plus the interval energy.

    ``energy`` is the consumption since the previous reading of the same meter
    (0.0 for a meter's first reading or after a reset). Points are keyed by
    ``(meter_id, ts)``: writing the same key twice keeps one point.
    """

    site_id: str
    meter_id: str
    category: str
    ts: int
    register: float
    energy: float
