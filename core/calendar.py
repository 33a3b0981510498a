"""Chinese public holidays and make-up working days (调休), from the State Council notices.

Sources (国务院办公厅关于 YYYY 年部分节假日安排的通知), checked against the text
republished by Xinhua / gov.cn:

- 2024: 国办发明电〔2023〕7号, 2023-10-25 - verified.
- 2025: 国办发明电〔2024〕12号, 2024-11-12 - verified (first year with 除夕 and 5月2日 added).
- 2026: notice of 2025-11-04 (Xinhua) - verified.
- 2027: not published when this table was written - NOT covered.

For a year not in the table, only the fixed-date statutory holidays are known
(元旦 1/1, 劳动节 5/1-5/2, 国庆节 10/1-10/3); the lunar holidays and the
make-up days are not, so :func:`is_covered` lets callers warn about it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = ["is_holiday", "is_workday", "day_kind", "local_date", "is_covered", "COVERED_YEARS"]


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
    2024: _days("2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14",
                "2024-09-29", "2024-10-12"),
    2025: _days("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"),
    2026: _days("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"),
}

COVERED_YEARS = frozenset(_HOLIDAYS)

_ALL_HOLIDAYS = frozenset(d for days in _HOLIDAYS.values() for d in days)
_ALL_MAKEUP = frozenset(d for days in _MAKEUP_WORKDAYS.values() for d in days)
#: Fixed-date statutory holidays, the only ones known for years without a notice.
_FIXED = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


def is_covered(year: int) -> bool:
    """True when the State Council notice for ``year`` is in the table."""
    return year in COVERED_YEARS


def is_holiday(day: date) -> bool:
    """True for a public holiday (including weekend days inside a holiday block)."""
    if day in _ALL_HOLIDAYS:
        return True
    # 2023-12-30/31 belong to the 2024 notice, so look at the year the notice covers.
    if is_covered(day.year):
        return False
    return (day.month, day.day) in _FIXED


def is_workday(day: date) -> bool:
    """True for a working day: a weekday that is not a holiday, or a make-up weekend day."""
    if day in _ALL_MAKEUP:
        return True
    return day.weekday() < 5 and not is_holiday(day)


def day_kind(day: date) -> str:
    """'workday', 'weekend' or 'holiday'."""
    if is_holiday(day):
        return "holiday"
    return "workday" if is_workday(day) else "weekend"


@lru_cache(maxsize=16)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def local_date(ts: int, tz: str = "Asia/Shanghai") -> date:
    """The local calendar date of UTC epoch seconds ``ts`` in time zone ``tz``."""
    return datetime.fromtimestamp(ts, tz=_zone(tz)).date()
