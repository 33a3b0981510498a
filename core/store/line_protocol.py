"""InfluxDB line protocol for energy points, shared by the v1 and v2 backends."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

from core.domain import EnergyPoint
from core.store.base import MEASUREMENT, StoreRejected

__all__ = ["encode", "encode_all", "TAG_SITE", "TAG_METER", "TAG_CATEGORY"]

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


def representable(value: str) -> bool:
    """Whether a tag value can travel in line protocol (see ``escape_tag``)."""
    return _unrepresentable(value) is None


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


@functools.lru_cache(maxsize=65536)
def _series_key(site_id: str, meter_id: str, category: str) -> str:
    """Measurement and escaped tags of one series; cached, since a meter writes it all day.

    A meter keeps its site and category for life, so the cache stays small (one entry per
    meter) and escaping, a quarter of the encoding cost, is paid once per meter.
    """
    if not site_id or not meter_id:
        # InfluxDB drops empty tags, so the point would lose its key.
        raise StoreRejected(f"point without a site or meter id: site={site_id!r} meter={meter_id!r}")
    tags = f"{TAG_SITE}={escape_tag(TAG_SITE, site_id)},{TAG_METER}={escape_tag(TAG_METER, meter_id)}"
    if category:
        # An empty tag value is a parse error; an absent category reads back as "".
        tags += f",{TAG_CATEGORY}={escape_tag(TAG_CATEGORY, category)}"
    return f"{MEASUREMENT},{tags}"


def encode(point: EnergyPoint) -> str:
    """One line of line protocol (precision: seconds) for one energy point."""
    register, energy = point.register, point.energy
    if not (math.isfinite(register) and math.isfinite(energy)):
        _field("register", register)
        _field("energy", energy)
    # repr() is the shortest text that reads back as the same float; float() keeps an
    # integer from being written as an integer field that would conflict with the floats.
    return f"{_series_key(point.site_id, point.meter_id, point.category)} register={float(register)!r},energy={float(energy)!r} {int(point.ts)}"


def encode_all(points: Sequence[EnergyPoint]) -> list[str]:
    """Every point encoded (each line as ``encode`` writes it), or StoreRejected before anything is sent."""
    key, energies = _series_key, _energy_texts
    lines: list[str] = []
    append = lines.append
    for site_id, meter_id, category, ts, register, energy in points:
        if register - register or energy - energy:  # not 0.0: an infinity or a NaN (a string raises TypeError)
            _field("register", register)
            _field("energy", energy)
        text = energies.get(energy) if energy > 0 else None
        if text is None:
            text = _energy_text(energy)
        append(f"{key(site_id, meter_id, category)} register={float(register)!r},energy={text} {int(ts)}")
    return lines


#: Texts of recent positive energies. A meter's interval energy repeats (a steady load, a
#: register with 3 decimals), and ``repr`` of a float is a third of a line's encoding; a
#: dict lookup is a tenth of that. Zero is left out: 0.0 and -0.0 are equal keys but not
#: the same text.
_energy_texts: dict[float, str] = {}
#: Texts ``_energy_texts`` keeps at most; it starts again empty when full.
ENERGY_TEXTS_MAX = 4096


def _energy_text(energy: float) -> str:
    text = repr(float(energy))
    if energy > 0:
        if len(_energy_texts) >= ENERGY_TEXTS_MAX:
            _energy_texts.clear()
        _energy_texts[energy] = text
    return text
