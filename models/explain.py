"""Explanations of an alert that a facility manager can act on, in English and Chinese."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np

from core.calendar import local_minute
from core.categories import MeterCategory, row_of
from core.timebase import HOME_TIMEZONE, HOUR
from core.waste import WasteKind

#: Hours of context the chart shows before and after an episode.
SERIES_CONTEXT_HOURS = 6

_HINTS: dict[str, tuple[str, str]] = {
    WasteKind.LIGHTS_DAYLIGHT: ("The lights appear to be on in daylight.", "疑似白天日照充足时照明未关。"),
    WasteKind.LIGHTS_AFTER_HOURS: ("The lights appear to be left on after hours.", "疑似非使用时段照明未关。"),
    WasteKind.HVAC_AFTER_HOURS: ("The air conditioning appears to run outside opening hours.", "疑似非营业时间空调仍在运行。"),
    WasteKind.PUMP_NIGHT: ("The pump appears to run at night when it normally rests.", "疑似水泵夜间异常运行。"),
    WasteKind.ELEVATOR_IDLE: (
        "The equipment appears to idle at full power while the building is closed.",
        "疑似闭馆期间设备未进入待机，空转耗电。",
    ),
    WasteKind.COMPRESSED_AIR_LEAK: (
        "The compressor works harder off shift than usual: likely a compressed-air leak.",
        "非生产时段空压机负荷偏高，疑似压缩空气泄漏。",
    ),
    WasteKind.BASE_LOAD_CREEP: (
        "The base load has been creeping up over days (filters, set points, a valve left open).",
        "基础负荷近日持续攀升（疑似滤网堵塞、设定值漂移或阀门未关）。",
    ),
    WasteKind.BASELINE_EXCESS: ("Consumption is above its usual level for these hours.", "该时段用电高于平时水平。"),
}


class ChartPoint(NamedTuple):
    """One hour of the chart: its start (epoch seconds), actual and expected kWh (None: unknown)."""

    ts: int
    actual_kwh: float | None
    expected_kwh: float | None


def chart_series(hours: np.ndarray, actual: np.ndarray, expected: np.ndarray) -> tuple[ChartPoint, ...]:
    """The chart's hourly points (kWh rounded to Wh, as stored; unknown hours as None)."""
    return tuple(
        ChartPoint(int(ts), None if a != a else round(a, 3), None if e != e else round(e, 3))
        for ts, a, e in zip(hours.tolist(), actual.tolist(), expected.tolist(), strict=True)
    )


@dataclass(frozen=True, slots=True)
class Explanation:
    """What the alert's explanation tells: the episode, its numbers and its chart.

    The detector hands it to the alert book, which stores it as JSON (``as_json``); the
    detection time is the alert's own column, not part of it.
    """

    category: MeterCategory
    meter_name: str
    kind: str
    check: str
    started_at: int
    ended_at: int
    actual_kwh: float
    expected_kwh: float
    cost_cny: float
    excess_hours: int
    ongoing: bool
    series: tuple[ChartPoint, ...] = ()
    tz: str = HOME_TIMEZONE

    def retold(self, *, started_at: int, actual_kwh: float, expected_kwh: float, cost_cny: float) -> Explanation:
        """The same episode told from ``started_at`` with these totals (a creep alert that keeps
        its start once the scanned window no longer reaches it)."""
        hours = max((self.ended_at - started_at) // HOUR, self.excess_hours)
        return replace(
            self, started_at=started_at, actual_kwh=actual_kwh, expected_kwh=expected_kwh, cost_cny=cost_cny, excess_hours=hours
        )

    def as_json(self) -> str:
        """The stored form: check, kind, actual_kwh, expected_kwh, since, until, text_en, text_zh,
        ``series`` (ISO UTC hours), and the category, meter name, zone and numbers it was told from."""
        text_en, text_zh = _texts(self)
        tz = self.tz
        return json.dumps(
            {
                "check": self.check,
                "kind": self.kind,
                "actual_kwh": round(self.actual_kwh, 3),
                "expected_kwh": round(self.expected_kwh, 3),
                "since": local_minute(self.started_at, tz),
                "until": local_minute(self.ended_at, tz),
                "text_en": text_en,
                "text_zh": text_zh,
                "series": [
                    {"ts": _iso_utc(p.ts), "actual_kwh": p.actual_kwh, "expected_kwh": p.expected_kwh} for p in self.series
                ],
                "category": self.category.value,
                "meter_name": self.meter_name,
                "tz": tz,
                "cost_cny": round(self.cost_cny, 2),
                "excess_hours": int(self.excess_hours),
                "ongoing": bool(self.ongoing),
                "started_ts": int(self.started_at),
                "ended_ts": int(self.ended_at),
            },
            ensure_ascii=False,
        )


def _iso_utc(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _texts(told: Explanation) -> tuple[str, str]:
    category, meter_name, check, tz = told.category, told.meter_name, told.check, told.tz
    actual_kwh, expected_kwh, cost_cny, excess_hours = told.actual_kwh, told.expected_kwh, told.cost_cny, told.excess_hours
    row = row_of(category)
    label_en, label_zh = (row.en, row.zh) if row is not None else (category.value, category.value)
    name_en = f" {meter_name}" if meter_name else ""
    # Simulated and real meter names already start with the category in Chinese (走廊照明3).
    name_zh = meter_name or label_zh
    hint_en, hint_zh = _HINTS.get(told.kind, _HINTS[WasteKind.BASELINE_EXCESS])
    since, until = local_minute(told.started_at, tz), local_minute(told.ended_at, tz)
    wasted = actual_kwh - expected_kwh
    state_en = "It is still going on at the latest reading." if told.ongoing else "Consumption has since returned to normal."
    state_zh = "截至最新读数仍在持续。" if told.ongoing else "目前用电已恢复正常。"
    text_en = (
        f"{label_en}{name_en} used {actual_kwh:.1f} kWh from {since} to {until} (local time), "
        f"where its usual pattern for these hours is about {expected_kwh:.1f} kWh: "
        f"{wasted:.1f} kWh more than expected (about {cost_cny:.0f} CNY). {hint_en} "
        f"Check fired: {check.replace('_', ' ')}, in {excess_hours} hour(s) clearly above the meter's learned baseline. "
        f"{state_en}"
    )
    text_zh = (
        f"{name_zh}在{since}至{until}（当地时间）用电{actual_kwh:.1f}千瓦时，"
        f"按该时段的正常用电规律约为{expected_kwh:.1f}千瓦时，多用约{wasted:.1f}千瓦时（约{cost_cny:.0f}元）。"
        f"{hint_zh}判断依据：该时段内有{excess_hours}个小时的用电明显超出该电表学习到的小时用电基线。{state_zh}"
    )
    return text_en, text_zh
