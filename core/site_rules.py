"""What a site or meter description must be, wherever it comes from: an MQTT meta announcement
(``core.wire``) or an administrator (``api.schemas.sites``). One home for the rules, so that
neither door stores what the other refuses.

Each ``check_*`` returns the value to store or raises ``InvalidField`` naming the field. The
API reports it as a 422; the wire decoder dead-letters the announcement as ``bad_meta_<field>``.
"""

from __future__ import annotations

import math
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.domain import DeclaredHours, MeterCategory, SiteType
from core.geo import capital_of

__all__ = [
    "CITY_MAX",
    "CLOCK_PATTERN",
    "DAY_KINDS",
    "GIVEN",
    "InvalidField",
    "LATITUDE",
    "LONGITUDE",
    "NAME_MAX",
    "PROVINCE_CAPITAL",
    "PROVINCE_MAX",
    "RATED_KW_MAX",
    "check_category",
    "check_city",
    "check_latitude",
    "check_longitude",
    "check_name",
    "check_opening_hours",
    "check_province",
    "check_rated_kw",
    "check_register_max",
    "check_site_name",
    "check_site_type",
    "check_timezone",
    "locate",
    "opening_hours_json",
]

NAME_MAX = 200
CITY_MAX = 100
PROVINCE_MAX = 32
LATITUDE = (-90.0, 90.0)
LONGITUDE = (-180.0, 180.0)
#: Rated power in kW; the largest public load of a property (a chiller plant) is a few MW,
#: so 100 MW is a typo, not a meter.
RATED_KW_MAX = 100_000.0

#: ``location_source`` values: coordinates the gateway or an administrator gave, or the
#: province capital's because none were given.
GIVEN = "given"
PROVINCE_CAPITAL = "province_capital"


#: A declared opening or closing time: local HH:MM on the hour or half hour, 24:00 the day's end.
CLOCK_PATTERN = r"^(?:[01][0-9]|2[0-3]):[03]0$|^24:00$"
_CLOCK = re.compile(CLOCK_PATTERN)
#: The day kinds a site declares hours for: working days (the calendar's, with make-up days) and
#: all other days (weekends and public holidays).
DAY_KINDS = ("workday", "other")


class InvalidField(ValueError):
    """A field of a site or meter description breaks a rule; ``field`` names it (e.g. ``tz``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _finite(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidField(field, "is not a number")
    if not math.isfinite(value):
        raise InvalidField(field, "is not finite")
    return float(value)


def _within(field: str, value: object, bounds: tuple[float, float]) -> float:
    number = _finite(field, value)
    if not bounds[0] <= number <= bounds[1]:
        raise InvalidField(field, f"{number:g} is outside [{bounds[0]:g}, {bounds[1]:g}]")
    return number


def check_latitude(value: object) -> float:
    return _within("lat", value, LATITUDE)


def check_longitude(value: object) -> float:
    return _within("lon", value, LONGITUDE)


def check_timezone(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidField("tz", "is not an IANA time zone such as Asia/Shanghai")
    try:
        ZoneInfo(value)
    except (ValueError, ZoneInfoNotFoundError):
        raise InvalidField("tz", f"{value[:64]!r} is not an IANA time zone such as Asia/Shanghai") from None
    return value


def check_province(value: object) -> str:
    """A provincial-level division in any spelling the carbon tables accept (上海, 广东省, Guangdong)."""
    if not isinstance(value, str) or not value.strip() or len(value) > PROVINCE_MAX:
        raise InvalidField("province", f"is not a province name of 1 to {PROVINCE_MAX} characters")
    if capital_of(value) is None:
        raise InvalidField("province", f"{value!r} is not a Chinese province, municipality or region such as 上海")
    return value


def _text(field: str, value: object, longest: int, shortest: int = 0) -> str:
    if not isinstance(value, str):
        raise InvalidField(field, "is not text")
    if not shortest <= len(value) <= longest:
        raise InvalidField(field, f"has {len(value)} characters, not {shortest} to {longest}")
    return value


def check_name(value: object) -> str:
    """A meter's name (may be empty)."""
    return _text("name", value, NAME_MAX)


def check_site_name(value: object) -> str:
    """A site's name: never empty, people pick the site by it."""
    return _text("name", value, NAME_MAX, shortest=1)


def check_city(value: object) -> str:
    return _text("city", value, CITY_MAX)


def check_site_type(value: object) -> SiteType:
    try:
        return SiteType(value)
    except ValueError:
        raise InvalidField("type", f"{str(value)[:40]!r} is not one of {', '.join(t.value for t in SiteType)}") from None


def check_category(value: object) -> MeterCategory:
    try:
        return MeterCategory(value)
    except ValueError:
        raise InvalidField("category", f"{str(value)[:40]!r} is not a meter category") from None


def check_rated_kw(value: object) -> float:
    return _within("rated_kw", value, (0.0, RATED_KW_MAX))


def check_register_max(value: object) -> float | None:
    """Where the register rolls over; None when unknown. Zero or less would make every reading a rollover."""
    if value is None:
        return None
    number = _finite("register_max", value)
    if number <= 0:
        raise InvalidField("register_max", f"{number:g} is not above 0")
    return number


def _clock(where: str, value: object) -> float:
    if not isinstance(value, str):
        raise InvalidField("opening_hours", f"{where} is not a local time HH:MM")
    if not _CLOCK.match(value):
        raise InvalidField(
            "opening_hours", f"{where} {value[:16]!r} is not a local time HH:MM between 00:00 and 24:00 on the hour or half hour"
        )
    hours, minutes = value.split(":")
    return int(hours) + int(minutes) / 60


def _window(kind: str, value: object) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"open", "close"}:
        raise InvalidField("opening_hours", f'{kind} is not {{"open": "HH:MM", "close": "HH:MM"}} or null (closed)')
    opens, closes = _clock(f"{kind}.open", value["open"]), _clock(f"{kind}.close", value["close"])
    if closes <= opens:
        # Overnight windows are refused rather than guessed: the detector's day runs from local
        # midnight, and a site open round the clock says 00:00-24:00.
        raise InvalidField(
            "opening_hours",
            f"{kind}.close {value['close']} is not after {kind}.open {value['open']} "
            "(a window ends by 24:00; open round the clock is 00:00-24:00)",
        )
    return opens, closes


def check_opening_hours(value: object) -> DeclaredHours | None:
    """Declared hours from their JSON form ``{"workday": {"open": "08:00", "close": "19:00"}, "other": null}``
    (null: closed that kind of day); None for null (none declared)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidField("opening_hours", "is not an object with workday and other windows")
    unknown, missing = sorted(set(value) - set(DAY_KINDS)), [k for k in DAY_KINDS if k not in value]
    if unknown:
        raise InvalidField(
            "opening_hours", f"has unknown day kinds {', '.join(k[:24] for k in unknown[:3])}: use workday and other"
        )
    if missing:
        raise InvalidField("opening_hours", f"{missing[0]} is missing (null: closed that day)")
    return DeclaredHours(_window("workday", value["workday"]), _window("other", value["other"]))


def opening_hours_json(declared: DeclaredHours | None) -> dict | None:
    """The JSON form of declared hours, as the registry stores, the API serves and meta carries them."""
    if declared is None:
        return None

    def clock(hours: float) -> str:
        minutes = round(hours * 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return {
        kind: None if window is None else {"open": clock(window[0]), "close": clock(window[1])}
        for kind, window in zip(DAY_KINDS, (declared.workday, declared.other), strict=True)
    }


def locate(province: str, latitude: float | None, longitude: float | None) -> tuple[float, float, str]:
    """Coordinates to store and where they come from: the given ones, else the province capital's.

    (0, 0) counts as not given: it is the Gulf of Guinea, and what gateways that default
    missing coordinates to zero send. ``province`` must have passed ``check_province``.
    """
    if latitude is not None and longitude is not None and (latitude, longitude) != (0.0, 0.0):
        return check_latitude(latitude), check_longitude(longitude), GIVEN
    capital = capital_of(province)
    if capital is None:
        raise InvalidField("province", f"{province!r} is not a Chinese province, municipality or region such as 上海")
    return capital.latitude, capital.longitude, PROVINCE_CAPITAL
