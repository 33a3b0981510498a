"""Electricity tariffs as sites pay them: time-of-use periods by season, holiday rates, effective dates.

The format (JSON in ``SiteRecord.tou_tariff``, or a YAML file such as
``core/data/tariffs/example-summer-sharp.yaml``; see docs/tariffs.md)::

    calendar: CN                      # whose public holidays the holiday rates follow
    versions:                         # each valid from its date until the next one's
      - from: 2026-01-01
        periods:                      # every day: {name, start, end, price}, local time
          - {name: peak,   start: "08:00", end: "22:00", price: 1.05}
          - {name: valley, start: "22:00", end: "08:00", price: 0.36}
        seasons:                      # in these months, these hours take these prices
          - {name: summer, months: [7, 8], periods: [{name: sharp, start: "11:00", end: "13:00", price: 1.35}]}
        holidays:                     # on public holidays, after the seasons
          periods: [{name: deep_valley, start: "10:00", end: "14:00", price: 0.25}]

A plain list of periods (the older form) is one version valid on every date. Hours no
period covers pay the site's flat price; a later period (season, then holiday) replaces
an earlier one at the hours it covers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Period", "Season", "TariffPlan", "TariffVersion", "load_plan", "parse_plan"]

_CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
#: A price above this is a typing error (CNY 100/kWh is fifty times any Chinese tariff).
MAX_PRICE = 100.0


@dataclass(frozen=True, slots=True)
class Period:
    """One price band in local minutes of the day; ``end <= start`` wraps past midnight."""

    name: str
    start: int
    end: int
    price: float


@dataclass(frozen=True, slots=True)
class Season:
    """Periods that replace the day's prices in some months (e.g. summer 尖峰 in July and August)."""

    name: str
    months: frozenset[int]
    periods: tuple[Period, ...]


@dataclass(frozen=True, slots=True)
class TariffVersion:
    """A tariff valid from ``valid_from`` (a local date; None: always) until the next version."""

    valid_from: date | None
    periods: tuple[Period, ...]
    seasons: tuple[Season, ...] = ()
    holidays: tuple[Period, ...] = ()


@dataclass(frozen=True, slots=True)
class TariffPlan:
    """A site's tariff versions in date order, and the country whose holidays they name."""

    versions: tuple[TariffVersion, ...]
    calendar: str = "CN"


def _minutes(clock: Any, where: str) -> int:
    if not isinstance(clock, str) or not _CLOCK.match(clock):
        raise ValueError(f"{where}: {clock!r} is not a time of day HH:MM between 00:00 and 24:00")
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _period(raw: Any, where: str) -> Period:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: a period is {{name, start, end, price}}, not {raw!r}")
    try:
        price = float(raw["price"])
    except KeyError:
        raise ValueError(f"{where}: no price") from None
    except (TypeError, ValueError):
        raise ValueError(f"{where}: price {raw['price']!r} is not a number") from None
    if not 0 <= price <= MAX_PRICE:
        raise ValueError(f"{where}: price {price} is outside 0-{MAX_PRICE:g} CNY/kWh")
    return Period(
        str(raw.get("name", "")), _minutes(raw.get("start"), f"{where}.start"), _minutes(raw.get("end"), f"{where}.end"), price
    )


def _periods(raw: Any, where: str, strict: bool) -> tuple[Period, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ValueError(f"{where}: expected a list of periods")
    out = []
    for i, item in enumerate(raw):
        try:
            out.append(_period(item, f"{where}[{i}]"))
        except ValueError:
            if strict:
                raise
            # Lenient reading of stored tariffs: one bad period must not cost the others.
    return tuple(out)


def _season(raw: Any, where: str, strict: bool) -> Season:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: a season is {{name, months, periods}}")
    months = raw.get("months")
    if (
        not isinstance(months, Sequence)
        or isinstance(months, str)
        or not months
        or not all(isinstance(m, int) and 1 <= m <= 12 for m in months)
    ):
        raise ValueError(f"{where}.months: expected a list of months 1-12, not {months!r}")
    return Season(str(raw.get("name", "")), frozenset(months), _periods(raw.get("periods"), f"{where}.periods", strict))


def _valid_from(raw: Any, where: str) -> date | None:
    if raw is None or isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ValueError(f"{where}: {raw!r} is not a date YYYY-MM-DD") from None


def _version(raw: Any, where: str, strict: bool) -> TariffVersion:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: a version is {{from, periods, seasons, holidays}}")
    unknown = set(raw) - {"from", "periods", "seasons", "holidays", "note"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    seasons = raw.get("seasons") or []
    if not isinstance(seasons, Sequence) or isinstance(seasons, str):
        raise ValueError(f"{where}.seasons: expected a list of seasons")
    holidays = raw.get("holidays") or {}
    if not isinstance(holidays, Mapping):
        raise ValueError(f"{where}.holidays: expected {{periods: [...]}}")
    return TariffVersion(
        _valid_from(raw.get("from"), f"{where}.from"),
        _periods(raw.get("periods"), f"{where}.periods", strict),
        tuple(_season(s, f"{where}.seasons[{i}]", strict) for i, s in enumerate(seasons)),
        _periods(holidays.get("periods"), f"{where}.holidays.periods", strict),
    )


def parse_plan(raw: Any, *, strict: bool = True) -> TariffPlan:
    """A plan from its JSON/YAML form (or the older list of periods); ValueError naming the bad field.

    ``strict=False`` (for tariffs already stored) drops a malformed period instead of failing,
    so its hours pay the flat price.
    """
    if raw is None:
        return TariffPlan(())
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        return TariffPlan((TariffVersion(None, _periods(raw, "periods", strict)),))
    if not isinstance(raw, Mapping):
        raise ValueError(f"a tariff is a list of periods or {{calendar, versions}}, not {type(raw).__name__}")
    unknown = set(raw) - {"calendar", "versions", "name", "note"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    versions = raw.get("versions")
    if not isinstance(versions, Sequence) or isinstance(versions, str) or not versions:
        raise ValueError("versions: expected a non-empty list")
    parsed = [_version(v, f"versions[{i}]", strict) for i, v in enumerate(versions)]
    dates = [v.valid_from for v in parsed]
    if None in dates[1:]:
        raise ValueError("versions: only the first version may have no 'from' date")
    if any(a is not None and b is not None and a >= b for a, b in zip(dates, dates[1:], strict=False)):
        raise ValueError(f"versions: 'from' dates must increase, got {[str(d) for d in dates]}")
    calendar = str(raw.get("calendar") or "CN").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", calendar):
        raise ValueError(f"calendar: {calendar!r} is not an ISO 3166 country code such as CN")
    return TariffPlan(tuple(parsed), calendar)


def load_plan(path: str | Path) -> TariffPlan:
    """A plan from a YAML or JSON file."""
    text = Path(path).read_text(encoding="utf-8")
    raw = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    return parse_plan(raw)
