"""Day kinds (workday, weekend, holiday) for a site's country, local dates, and home (Asia/Shanghai) days.

China comes first: its public holidays and make-up working days (调休) are only known from
the State Council notice for each year (国务院办公厅关于 YYYY 年部分节假日安排的通知),
published in October or November for the next year. The notices in the table below were
checked against the text republished by Xinhua / gov.cn:

- 2024: 国办发明电〔2023〕7号, 2023-10-25 - verified.
- 2025: 国办发明电〔2024〕12号, 2024-11-12 - verified (first year with 除夕 and 5月2日 added).
- 2026: notice of 2025-11-04 (Xinhua) - verified.
- 2027: not in the table - NOT covered.

For a year without a notice here, and for every other country, the maintained calendar of
the ``holidays`` package (``holidays.country_holidays``) is used: it knows the lunar
holidays years ahead, but for China it knows a year's make-up working days only once the
notice is out and the package updated, so :func:`notice_warning` tells callers when next
year (or this one) has no notice in the table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from core.timebase import DAY, HOME_TIMEZONE, HOME_UTC_OFFSET_S

if TYPE_CHECKING:
    import numpy as np

# holidays and numpy are imported where day kinds are asked for: the stores use the home-day
# helpers below, and ingest and the API would otherwise load both (~0.5 s) for nothing.

__all__ = [
    "COVERED_YEARS",
    "DAY_KINDS",
    "DAY",
    "DEFAULT_COUNTRY",
    "HOME_UTC_OFFSET_S",
    "HOME_TIMEZONE",
    "DayCalendar",
    "day_kind",
    "day_kinds",
    "day_of",
    "home_days_match",
    "is_covered",
    "is_holiday",
    "is_workday",
    "local_date",
    "local_minute",
    "month_of",
    "next_month",
    "notice_warning",
    "whole_home_days",
]

log = logging.getLogger(__name__)

DAY_KINDS = ("workday", "weekend", "holiday")
#: The country whose calendar a site follows when it names none.
DEFAULT_COUNTRY = "CN"


def _span(first: str, last: str) -> list[date]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


def _days(*isos: str) -> list[date]:
    return [date.fromisoformat(d) for d in isos]


#: Days off, including weekend days inside a holiday block (放假调休 ranges as announced).
_HOLIDAYS: dict[int, list[date]] = {
    2024: [
        *_span("2023-12-30", "2024-01-01"),  # 元旦, with the weekend
        *_span("2024-02-10", "2024-02-17"),  # 春节
        *_span("2024-04-04", "2024-04-06"),  # 清明节
        *_span("2024-05-01", "2024-05-05"),  # 劳动节
        *_span("2024-06-08", "2024-06-10"),  # 端午节, with the weekend
        *_span("2024-09-15", "2024-09-17"),  # 中秋节
        *_span("2024-10-01", "2024-10-07"),  # 国庆节
    ],
    2025: [
        *_days("2025-01-01"),  # 元旦
        *_span("2025-01-28", "2025-02-04"),  # 春节
        *_span("2025-04-04", "2025-04-06"),  # 清明节
        *_span("2025-05-01", "2025-05-05"),  # 劳动节
        *_span("2025-05-31", "2025-06-02"),  # 端午节
        *_span("2025-10-01", "2025-10-08"),  # 国庆节 and 中秋节
    ],
    2026: [
        *_span("2026-01-01", "2026-01-03"),  # 元旦
        *_span("2026-02-15", "2026-02-23"),  # 春节
        *_span("2026-04-04", "2026-04-06"),  # 清明节
        *_span("2026-05-01", "2026-05-05"),  # 劳动节
        *_span("2026-06-19", "2026-06-21"),  # 端午节
        *_span("2026-09-25", "2026-09-27"),  # 中秋节
        *_span("2026-10-01", "2026-10-07"),  # 国庆节
    ],
}

#: Weekend days that are working days (上班) to make up for a holiday block.
_MAKEUP_WORKDAYS: dict[int, list[date]] = {
    2024: _days("2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14", "2024-09-29", "2024-10-12"),
    2025: _days("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"),
    2026: _days("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"),
}

#: Years whose State Council notice is in the table above.
COVERED_YEARS = frozenset(_HOLIDAYS)

_ALL_HOLIDAYS = frozenset(d for days in _HOLIDAYS.values() for d in days)
_ALL_MAKEUP = frozenset(d for days in _MAKEUP_WORKDAYS.values() for d in days)


class _Year(NamedTuple):
    """One country's year: its days off, its weekend days that are worked, its weekend weekdays."""

    holidays: frozenset[date]
    workdays: frozenset[date]
    weekend: frozenset[int]


@lru_cache(maxsize=256)
def _year(country: str, year: int) -> _Year:
    if country == "CN" and year in COVERED_YEARS:
        # The notice's block includes the weekend days inside it (放假调休 ranges as announced).
        days = frozenset(d for d in _ALL_HOLIDAYS if d.year == year)
        return _Year(days, frozenset(_MAKEUP_WORKDAYS[year]), frozenset({5, 6}))
    import holidays

    try:
        known = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        raise ValueError(f"no holiday calendar for country {country!r}; use an ISO 3166 code such as CN or US") from None
    # The previous notice may reach into this year (the 2024 notice covered 2023-12-30/31).
    table = frozenset(d for d in _ALL_HOLIDAYS if d.year == year) if country == "CN" else frozenset()
    return _Year(frozenset(known) | table, frozenset(known.weekend_workdays), frozenset(known.weekend))


def _country(country: str | None) -> str:
    return (country or DEFAULT_COUNTRY).strip().upper()


class DayCalendar:
    """The day kinds of one country: ``DayCalendar("US").kind(date(2027, 7, 5)) == "holiday"``."""

    def __init__(self, country: str = DEFAULT_COUNTRY) -> None:
        self.country = _country(country)
        _year(self.country, date.today().year)  # an unknown country fails here, not mid-scan

    def kind(self, day: date) -> str:
        """'workday', 'weekend' or 'holiday'."""
        year = _year(self.country, day.year)
        if day in year.holidays:
            return "holiday"
        if day in year.workdays or day.weekday() not in year.weekend:
            return "workday"
        return "weekend"

    def kinds(self, days: Iterable[date] | np.ndarray) -> np.ndarray:
        """The kind of each day (``date`` objects or numpy ``datetime64``), as an array of str."""
        import numpy as np

        values = np.asarray(days)
        if values.dtype.kind == "M":
            values = values.astype("datetime64[D]").astype(object)
        unique, inverse = np.unique(np.asarray(values, dtype=object).ravel(), return_inverse=True)
        table = np.array([self.kind(d) for d in unique], dtype="<U7")
        return table[inverse].reshape(values.shape)


@lru_cache(maxsize=64)
def _calendar(country: str) -> DayCalendar:
    return DayCalendar(country)


def day_kinds(days: Iterable[date] | np.ndarray, country: str = DEFAULT_COUNTRY) -> np.ndarray:
    """'workday', 'weekend' or 'holiday' for each of ``days`` in ``country`` (ISO 3166 code)."""
    return _calendar(_country(country)).kinds(days)


def day_kind(day: date, country: str = DEFAULT_COUNTRY) -> str:
    """'workday', 'weekend' or 'holiday'."""
    return _calendar(_country(country)).kind(day)


def is_holiday(day: date, country: str = DEFAULT_COUNTRY) -> bool:
    """True for a public holiday (in China including weekend days inside a holiday block)."""
    return day_kind(day, country) == "holiday"


def is_workday(day: date, country: str = DEFAULT_COUNTRY) -> bool:
    """True for a working day: a weekday that is not a holiday, or a make-up weekend day."""
    return day_kind(day, country) == "workday"


def is_covered(year: int, country: str = DEFAULT_COUNTRY) -> bool:
    """True when ``year``'s days off are official: for China, its State Council notice is in the table.

    Other countries' holidays are fixed by law years ahead, so the maintained calendar covers them.
    """
    return year in COVERED_YEARS if _country(country) == "CN" else True


_warned: set[tuple[str, int]] = set()


def notice_warning(today: date, country: str = DEFAULT_COUNTRY) -> str | None:
    """A message when this year or next has no official notice for ``country``, else None.

    Logged once per country and year; callers put the message on their findings too.
    """
    country = _country(country)
    missing = [y for y in (today.year, today.year + 1) if not is_covered(y, country)]
    if not missing:
        return None
    year = missing[0]
    import holidays

    message = (
        f"no State Council holiday notice for {year} in core/calendar.py: its holidays come from the "
        f"holidays package (v{holidays.__version__}), which may miss the make-up working days (调休); "
        f"add the notice's days to the table when it is published"
    )
    if (country, year) not in _warned:
        _warned.add((country, year))
        log.warning("calendar: %s", message)
    return message


@lru_cache(maxsize=16)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def local_date(ts: int, tz: str = HOME_TIMEZONE) -> date:
    """The local calendar date of UTC epoch seconds ``ts`` in time zone ``tz``."""
    return datetime.fromtimestamp(ts, tz=_zone(tz)).date()


def local_minute(ts: int, tz: str = HOME_TIMEZONE) -> str:
    """UTC epoch seconds ``ts`` as local time in ``tz``, to the minute ("2025-06-09 21:00"), as
    alert explanations show times."""
    return datetime.fromtimestamp(ts, tz=_zone(tz)).strftime("%Y-%m-%d %H:%M")


# -- home days ------------------------------------------------------------------------------
# The stores' rollups and sealed days are days of the home zone. Asia/Shanghai is UTC+8 all
# year (no daylight saving since 1991), so its days are fixed 86,400 s spans from a fixed
# offset: plain integer arithmetic, no zone lookup per point.

# The zone, the day and the offset live in core.timebase (imported above).


def day_of(ts: int) -> int:
    """Home midnight starting the day that holds ``ts``."""
    return (ts + HOME_UTC_OFFSET_S) // DAY * DAY - HOME_UTC_OFFSET_S


def whole_home_days(start: int, end: int) -> tuple[int, int]:
    """[first, last) home midnights of the whole home days inside [start, end); first >= last when none."""
    first = day_of(start)
    if first < start:
        first += DAY
    return first, day_of(end)


def month_of(day: int) -> int:
    """Home midnight starting the month that holds home day ``day``."""
    local = datetime.fromtimestamp(day + HOME_UTC_OFFSET_S, UTC)
    return int(datetime(local.year, local.month, 1, tzinfo=UTC).timestamp()) - HOME_UTC_OFFSET_S


def next_month(month: int) -> int:
    """Home midnight starting the month after the one starting at ``month``."""
    local = datetime.fromtimestamp(month + HOME_UTC_OFFSET_S, UTC)
    following = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=UTC)
    return int(following.timestamp()) - HOME_UTC_OFFSET_S


def home_days_match(tz: str, start: int, end: int) -> bool:
    """Whether home days are the local days of ``tz`` over ``[start, end)``."""
    eight = timedelta(seconds=HOME_UTC_OFFSET_S)
    return all(datetime.fromtimestamp(t, UTC).astimezone(_zone(tz)).utcoffset() == eight for t in (start, end - 1))
