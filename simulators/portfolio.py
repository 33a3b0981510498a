"""A seeded portfolio of property sites in Chinese cities, with their public-space meters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from core.domain import Meter, MeterCategory, Site, SiteType
from simulators.cities import CATEGORY_LABELS, CITIES, NAME_PARTS
from simulators.meters import register_max_for

C = MeterCategory

#: Per site type: category -> (fewest meters, most meters, rated kW low, rated kW high).
#: Ranges are typical of Chinese property public areas; a gas "rated_kw" is thermal kW.
METER_MIX: dict[SiteType, dict[MeterCategory, tuple[int, int, float, float]]] = {
    SiteType.RESIDENTIAL: {
        C.CORRIDOR_LIGHTING: (2, 4, 4, 12),
        C.LOBBY_LIGHTING: (1, 1, 3, 8),
        C.GARAGE_LIGHTING: (1, 2, 10, 30),
        C.LANDSCAPE_LIGHTING: (1, 1, 5, 15),
        C.PUBLIC_HVAC: (1, 1, 15, 40),
        C.ELEVATOR: (2, 4, 20, 40),
        C.WATER_PUMP: (1, 2, 15, 45),
        C.LANDSCAPE_PUMP: (0, 1, 5, 15),
        C.EV_CHARGER: (0, 1, 60, 240),
        C.PV: (0, 1, 30, 150),
    },
    SiteType.OFFICE: {
        C.CORRIDOR_LIGHTING: (2, 3, 8, 20),
        C.LOBBY_LIGHTING: (1, 2, 10, 30),
        C.GARAGE_LIGHTING: (1, 1, 15, 40),
        C.LANDSCAPE_LIGHTING: (0, 1, 5, 15),
        C.PUBLIC_HVAC: (1, 2, 100, 400),
        C.ELEVATOR: (2, 4, 30, 60),
        C.WATER_PUMP: (1, 1, 15, 37),
        C.EV_CHARGER: (0, 1, 60, 180),
        C.PV: (0, 1, 50, 200),
        C.GAS: (0, 1, 50, 150),
    },
    SiteType.MALL: {
        C.CORRIDOR_LIGHTING: (2, 3, 20, 50),
        C.LOBBY_LIGHTING: (1, 2, 20, 60),
        C.GARAGE_LIGHTING: (1, 2, 20, 60),
        C.LANDSCAPE_LIGHTING: (1, 1, 10, 30),
        C.PUBLIC_HVAC: (2, 3, 200, 600),
        C.ELEVATOR: (3, 5, 30, 60),
        C.WATER_PUMP: (1, 1, 22, 55),
        C.LANDSCAPE_PUMP: (0, 1, 5, 15),
        C.EV_CHARGER: (1, 1, 120, 360),
        C.PV: (0, 1, 100, 400),
        C.GAS: (1, 1, 150, 400),
    },
    SiteType.INDUSTRIAL: {
        C.CORRIDOR_LIGHTING: (1, 2, 5, 15),
        C.LOBBY_LIGHTING: (0, 1, 5, 15),
        C.GARAGE_LIGHTING: (0, 1, 10, 30),
        C.LANDSCAPE_LIGHTING: (1, 1, 5, 20),
        C.PUBLIC_HVAC: (1, 1, 50, 150),
        C.ELEVATOR: (0, 2, 20, 45),
        C.WATER_PUMP: (1, 2, 15, 55),
        C.AIR_COMPRESSOR: (1, 3, 55, 250),
        C.CHILLER: (1, 2, 150, 600),
        C.EV_CHARGER: (0, 1, 60, 240),
        C.PV: (1, 1, 200, 1000),
        C.GAS: (0, 1, 100, 300),
    },
}

#: How often each site type occurs once every type has appeared once.
TYPE_WEIGHTS: dict[SiteType, float] = {
    SiteType.RESIDENTIAL: 0.45,
    SiteType.OFFICE: 0.25,
    SiteType.MALL: 0.15,
    SiteType.INDUSTRIAL: 0.15,
}


@dataclass(frozen=True)
class Portfolio:
    """Sites and their meters; ``meters`` maps a site id to that site's meters.

    ``profiles`` names the load profile of meters whose category alone does not say
    how they behave (an escalator is an ``elevator``, a boiler and a canteen are ``gas``).
    """

    sites: list[Site]
    meters: dict[str, list[Meter]]
    profiles: dict[str, str] = field(default_factory=dict)
    _by_id: dict[str, Meter] = field(init=False, repr=False, compare=False)
    _sites_by_id: dict[str, Site] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id = {m.meter_id: m for ms in self.meters.values() for m in ms}
        if len(by_id) != sum(len(ms) for ms in self.meters.values()):
            raise ValueError("meter ids must be unique across the portfolio")
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_sites_by_id", {s.site_id: s for s in self.sites})

    def meter(self, meter_id: str) -> Meter:
        """The meter with this id; KeyError when there is none."""
        return self._by_id[meter_id]

    def site(self, site_id: str) -> Site:
        """The site with this id; KeyError when there is none."""
        return self._sites_by_id[site_id]

    def profile(self, meter_id: str) -> str:
        """Load profile of the meter: a key of ``simulators.load.PROFILES``."""
        return self.profiles.get(meter_id) or self._by_id[meter_id].category.value

    def all_meters(self) -> Iterator[Meter]:
        """Every meter, site by site, in a stable order."""
        for s in self.sites:
            yield from self.meters[s.site_id]


def _site_types(n_sites: int, rng: np.random.Generator) -> list[SiteType]:
    # Every type appears once before repeats, so even a 3-site portfolio is mixed.
    first = [SiteType(t) for t in rng.permutation([t.value for t in SiteType])]
    kinds = list(TYPE_WEIGHTS)
    probs = np.array(list(TYPE_WEIGHTS.values()))
    rest = [kinds[i] for i in rng.choice(len(kinds), size=max(0, n_sites - len(first)), p=probs / probs.sum())]
    return (first + rest)[:n_sites]


def _site_name(site_type: SiteType, city: str, rng: np.random.Generator, taken: set[str]) -> str:
    stems, suffixes = NAME_PARTS[site_type]
    name = f"{city}{stems[rng.integers(len(stems))]}{suffixes[rng.integers(len(suffixes))]}"
    phase = 2
    base = name
    while name in taken:  # same name in the same city: a later phase of the development
        name = f"{base}{phase}期"
        phase += 1
    taken.add(name)
    return name


def _profile(site_type: SiteType, category: MeterCategory, k: int) -> str | None:
    """The load profile when the category alone does not decide it (see Portfolio.profiles)."""
    if category is C.ELEVATOR and site_type is SiteType.MALL and k % 2 == 0:
        return "escalator"  # malls move most shoppers on escalators
    if category is C.GAS:
        # Factories heat and make process hot water with boilers; offices and malls cook.
        return "gas_boiler" if site_type is SiteType.INDUSTRIAL else "gas_canteen"
    return None


def _meters_for(
    site_id: str, site_type: SiteType, rng: np.random.Generator, profiles: dict[str, str], scale: float
) -> list[Meter]:
    meters: list[Meter] = []
    for category, (lo, hi, kw_lo, kw_hi) in METER_MIX[site_type].items():
        lo, hi = round(lo * scale), round(hi * scale)
        for k in range(1, int(rng.integers(lo, hi + 1)) + 1):
            rated = round(float(rng.uniform(kw_lo, kw_hi)), 1)
            meter_id = f"{site_id}-{category.value}-{k}"
            profile = _profile(site_type, category, k)
            if profile:
                profiles[meter_id] = profile
            meters.append(
                Meter(
                    meter_id=meter_id,
                    site_id=site_id,
                    category=category,
                    rated_kw=rated,
                    name=f"{CATEGORY_LABELS[profile or category.value]}{k}",
                    register_max=register_max_for(category, rated),
                )
            )
    return meters


def build_portfolio(n_sites: int, seed: int, meter_scale: float = 1.0) -> Portfolio:
    """A deterministic portfolio of ``n_sites`` mixed sites; the same seed gives the same one.

    ``meter_scale`` multiplies the number of meters of each category (a compound of
    many buildings has many corridor-lighting and lift meters): 1 gives about 14 meters
    a site, 3.5 about 48.
    """
    if n_sites < 1:
        raise ValueError("n_sites must be at least 1")
    if meter_scale <= 0:
        raise ValueError("meter_scale must be positive")
    rng = np.random.default_rng([seed, 0x5173])
    sites: list[Site] = []
    meters: dict[str, list[Meter]] = {}
    profiles: dict[str, str] = {}
    taken: set[str] = set()
    for i, site_type in enumerate(_site_types(n_sites, rng), start=1):
        city = CITIES[int(rng.integers(len(CITIES)))]
        site_id = f"site-{i:04d}"
        # A few km of jitter so sites in one city do not share coordinates.
        lat = round(city.latitude + rng.uniform(-0.08, 0.08), 4)
        lon = round(city.longitude + rng.uniform(-0.08, 0.08), 4)
        sites.append(
            Site(
                site_id=site_id,
                name=_site_name(site_type, city.name, rng, taken),
                site_type=site_type,
                city=city.name,
                province=city.province,
                latitude=lat,
                longitude=lon,
            )
        )
        meters[site_id] = _meters_for(site_id, site_type, rng, profiles, meter_scale)
    return Portfolio(sites=sites, meters=meters, profiles=profiles)


def without_register_max(portfolio: Portfolio) -> Portfolio:
    """The same portfolio with meters that do not announce where their registers roll over."""
    meters = {s: [replace(m, register_max=None) for m in ms] for s, ms in portfolio.meters.items()}
    return Portfolio(sites=portfolio.sites, meters=meters, profiles=portfolio.profiles)
