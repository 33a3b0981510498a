"""Province capitals: every provincial-level division a site may name, and where a site without
coordinates is placed (its province's capital, a few hundred km at worst from the truth: sunrise
off by minutes, not the eight hours of 0 N 0 E)."""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources
from typing import NamedTuple

from core.carbon.factors import normalise_province

__all__ = ["Capital", "capital_of", "known_province", "provinces"]


class Capital(NamedTuple):
    """The capital of a provincial-level division and its coordinates (degrees, WGS 84)."""

    province: str
    city: str
    latitude: float
    longitude: float


@functools.cache
def _capitals() -> dict[str, Capital]:
    text = resources.files("core").joinpath("data", "province_capitals.csv").read_text(encoding="utf-8")
    return {
        row["province"]: Capital(row["province"], row["capital"], float(row["lat"]), float(row["lon"]))
        for row in csv.DictReader(io.StringIO(text))
    }


def provinces() -> list[str]:
    """Short Chinese names of the 34 provincial-level divisions (北京 ... 台湾)."""
    return list(_capitals())


def capital_of(province: str) -> Capital | None:
    """The capital of ``province`` in any spelling ``normalise_province`` knows, or None."""
    return _capitals().get(normalise_province(province))


def known_province(province: str) -> bool:
    return capital_of(province) is not None
