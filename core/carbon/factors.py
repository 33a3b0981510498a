"""Published Chinese emission factors with provenance, and the rules for choosing one."""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from core.carbon.provinces import pinyin_province

#: MEE & NBS provincial average electricity CO2 factor (location-based Scope 2).
PROVINCE_KEY = "elec_avg_co2_province"
#: MEE & NBS national average electricity CO2 factor, the fallback for unknown provinces.
NATIONAL_KEY = "elec_avg_co2"
#: National average excluding market-traded non-fossil power: the residual-mix proxy.
RESIDUAL_MIX_KEY = "elec_avg_co2_excl_market_nonfossil"
#: Chinese enterprise GHG guideline default for natural gas (confidence H in the notes).
GAS_KEY = "natural_gas_co2_cn_default"
#: Chinese guideline default for diesel per tonne (confidence M: guideline parameters, exact arithmetic).
DIESEL_KEY = "diesel_co2_cn_default"
NATIONAL_REGION = "全国"
ELECTRICITY_UNIT = "kgCO2/kWh"

# Administrative suffixes people write after a province name; the MEE tables use the short
# form (广西, not 广西壮族自治区). Longest first so 壮族自治区 wins over 自治区.
_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


class FactorNotFound(LookupError):
    """No usable factor for the request: the factor table lacks the key (fix the data)."""


class EmissionFactor(NamedTuple):
    """One published factor: ``value`` kg per unit, for data ``year`` (None for fuel defaults).

    A named tuple, not a frozen dataclass: ledgers key their factor logs by factor, and a
    portfolio of 1,000 sites hashed factors ~27,000 times a request (the dataclass's hash
    builds a tuple of the six fields each time)."""

    key: str
    region: str
    year: int | None
    value: float
    unit: str
    source: str


def exclusion_reason(factor: EmissionFactor) -> str | None:
    """Why a row must never be used for Scope 2, or None when it may be."""
    # The reference notes mark unchecked rows with UNVERIFIED in the key or the source.
    if "UNVERIFIED" in factor.key or "UNVERIFIED" in factor.source:
        return "unverified"
    # Carbon-footprint factors are lifecycle CO2e for product LCAs, not grid CO2 averages.
    if "lifecycle" in factor.key or "carbon_footprint" in factor.key or "NOT scope 2" in factor.source:
        return "lifecycle"
    return None


@dataclass(frozen=True, slots=True)
class FactorTable:
    """The usable factors; ``excluded`` keeps the rejected rows for inspection only."""

    factors: tuple[EmissionFactor, ...]
    excluded: tuple[EmissionFactor, ...] = ()
    #: Hashed once: ledgers look factor choices up by table thousands of times a request, and
    #: hashing 135 rows each time took ~30 µs.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.factors, self.excluded)))

    def __hash__(self) -> int:
        return self._hash

    def series(self, key: str, region: str) -> list[EmissionFactor]:
        """Every usable factor for ``key`` in ``region``, oldest data year first."""
        rows = [f for f in self.factors if f.key == key and f.region == region]
        return sorted(rows, key=lambda f: (f.year is None, f.year or 0))

    def regions(self, key: str) -> set[str]:
        return {f.region for f in self.factors if f.key == key}

    def only(self, key: str) -> EmissionFactor:
        """The single usable factor with ``key`` (fuel defaults have one row)."""
        rows = [f for f in self.factors if f.key == key]
        if len(rows) != 1:
            raise FactorNotFound(f"expected one usable {key!r} factor, found {len(rows)}")
        return rows[0]


def _parse(text: str) -> FactorTable:
    usable: list[EmissionFactor] = []
    excluded: list[EmissionFactor] = []
    for row in csv.DictReader(io.StringIO(text)):
        factor = EmissionFactor(
            key=row["key"].strip(),
            region=row["region"].strip(),
            year=int(row["year"]) if row["year"].strip() else None,
            value=float(row["value"]),
            unit=row["unit"].strip(),
            source=row["source"].strip(),
        )
        (excluded if exclusion_reason(factor) else usable).append(factor)
    return FactorTable(tuple(usable), tuple(excluded))


@functools.cache
def _packaged_table() -> FactorTable:
    text = resources.files("core").joinpath("data", "emission_factors.csv").read_text(encoding="utf-8")
    return _parse(text)


def load_factors(path: str | Path | None = None) -> FactorTable:
    """Read the factor CSV (the packaged copy by default), dropping UNVERIFIED and lifecycle rows."""
    if path is None:
        return _packaged_table()
    return _parse(Path(path).read_text(encoding="utf-8"))


def normalise_province(province: str) -> str:
    """The short province name the MEE tables use: "广东省", "Guangdong Province" -> "广东"."""
    name = province.strip()
    latin = pinyin_province(name)
    if latin is not None:
        return latin
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _by_year_rule(series: list[EmissionFactor], year: int, what: str) -> EmissionFactor:
    dated = [f for f in series if f.year is not None]
    if not dated:
        raise FactorNotFound(f"no dated factor for {what}")
    eligible = [f for f in dated if f.year is not None and f.year <= year]
    # Factors are published two years late, so a reading is usually newer than every
    # data year; before the first published year the earliest set is the closest we have.
    return eligible[-1] if eligible else dated[0]


def electricity_factor(province: str, year: int, table: FactorTable | None = None) -> EmissionFactor:
    """Provincial average grid CO2 factor (MEE & NBS) for energy used in ``year``.

    Year rule: the latest published data year not after ``year``; when ``year`` is
    before every published data year, the earliest one. A province absent from the
    table (e.g. 西藏, or a misspelling) gets the national average under the same rule.
    """
    table = table or load_factors()
    short = normalise_province(province)
    series = table.series(PROVINCE_KEY, short)
    if not series:
        series = table.series(NATIONAL_KEY, NATIONAL_REGION)
    return _by_year_rule(series, year, f"electricity in {province!r}")


def residual_mix_factor(year: int, table: FactorTable | None = None) -> EmissionFactor:
    """National average excluding market-traded non-fossil power (residual-mix proxy), same year rule."""
    table = table or load_factors()
    return _by_year_rule(table.series(RESIDUAL_MIX_KEY, NATIONAL_REGION), year, "the residual mix")


def gas_factor(table: FactorTable | None = None) -> EmissionFactor:
    """Natural gas combustion CO2 per Nm3 (Chinese guideline default, Scope 1).

    The guideline's Nm3 and a utility meter's m3 may use different reference
    conditions; the notes leave this unverified, so billed m3 are used as Nm3.
    """
    return (table or load_factors()).only(GAS_KEY)


def diesel_factor(table: FactorTable | None = None) -> EmissionFactor:
    """Diesel combustion CO2 per tonne (Chinese guideline default, Scope 1).

    No meter category measures diesel yet; this is here so that one can be added
    without touching the factor rules (the per-litre row assumes a density, so it is not used).
    """
    return (table or load_factors()).only(DIESEL_KEY)
