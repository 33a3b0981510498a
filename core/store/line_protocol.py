"""InfluxDB line protocol for energy points, shared by the v1 and v2 backends."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from core.domain import EnergyPoint
from core.store.base import MEASUREMENT, StoreRejected

__all__ = ["encode", "encode_all", "chunked", "TAG_SITE", "TAG_METER", "TAG_CATEGORY"]

TAG_SITE = "site"
TAG_METER = "meter"
TAG_CATEGORY = "category"

# Commas, spaces and equals signs separate the parts of a line, so a tag value
# carries them escaped with a backslash.
_TAG_ESCAPES = str.maketrans({",": r"\,", " ": r"\ ", "=": r"\="})


def _unrepresentable(value: str) -> str | None:
    """Why a tag value cannot travel in line protocol, or None when it can."""
    if "\\" in value:
        # InfluxDB 1.x keeps "\\" in a tag value as two backslashes while 2.x turns it
        # into one, and a trailing backslash escapes the separator after it: no
        # spelling round-trips on every server, so refuse instead of corrupting.
        return "contains a backslash"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        # A newline ends the line; other control characters are refused for the
        # same reason (servers differ on them, and no meter id needs them).
        return "contains a control character"
    return None


def escape_tag(name: str, value: str) -> str:
    """A tag value escaped for line protocol; StoreRejected when it cannot be carried."""
    reason = _unrepresentable(value)
    if reason is not None:
        raise StoreRejected(f"tag {name}={value!r} cannot be stored in InfluxDB: {reason}")
    return value.translate(_TAG_ESCAPES)


def _field(name: str, value: float) -> str:
    number = float(value)
    if not math.isfinite(number):
        raise StoreRejected(f"field {name}={number!r} is not a finite number")
    # repr() is the shortest text that reads back as the same float; a bare
    # integer would be taken as an integer field and conflict with the floats.
    text = repr(number)
    return f"{name}={text}"


def encode(point: EnergyPoint) -> str:
    """One line of line protocol (precision: seconds) for one energy point."""
    if not point.site_id or not point.meter_id:
        # InfluxDB drops empty tags, so the point would lose its key.
        raise StoreRejected(f"point without a site or meter id: {point!r}")
    tags = f"{TAG_SITE}={escape_tag(TAG_SITE, point.site_id)},{TAG_METER}={escape_tag(TAG_METER, point.meter_id)}"
    if point.category:
        # An empty tag value is a parse error; an absent category reads back as "".
        tags += f",{TAG_CATEGORY}={escape_tag(TAG_CATEGORY, point.category)}"
    fields = f"{_field('register', point.register)},{_field('energy', point.energy)}"
    return f"{MEASUREMENT},{tags} {fields} {int(point.ts)}"


def encode_all(points: Sequence[EnergyPoint]) -> list[str]:
    """Every point encoded, or StoreRejected before anything is sent."""
    return [encode(p) for p in points]


def chunked(lines: Sequence[str], size: int) -> Iterator[str]:
    """Request bodies of at most ``size`` lines each."""
    for i in range(0, len(lines), size):
        yield "\n".join(lines[i : i + size])
