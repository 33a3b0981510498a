"""Explanations of an alert that a facility manager can act on, in English and Chinese."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from core.categories import MeterCategory, row_of
from core.timebase import HOME_TIMEZONE
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


def _local(ts: int, tz: str) -> str:
    return datetime.fromtimestamp(ts, tz=ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def chart_series(hours: np.ndarray, actual: np.ndarray, expected: np.ndarray) -> list[dict]:
    """Hourly points ``{"ts", "actual_kwh", "expected_kwh"}`` (ISO UTC; unknown hours as null)."""
    out = []
    for ts, a, e in zip(hours.tolist(), actual.tolist(), expected.tolist(), strict=True):
        out.append(
            {
                "ts": datetime.fromtimestamp(int(ts), tz=ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "actual_kwh": None if a != a else round(a, 3),
                "expected_kwh": None if e != e else round(e, 3),
            }
        )
    return out


def explanation(
    *,
    category: MeterCategory,
    meter_name: str,
    kind: str,
    check: str,
    started_at: int,
    ended_at: int,
    detected_at: int,
    actual_kwh: float,
    expected_kwh: float,
    cost_cny: float,
    excess_hours: int,
    ongoing: bool,
    series: list[dict],
    tz: str = HOME_TIMEZONE,
) -> str:
    """The alert's explanation as JSON: check, kind, actual_kwh, expected_kwh, since, until,
    detected_at, text_en, text_zh and ``series`` (hourly actual and expected around the episode),
    with what :func:`restated` needs to tell it again with other numbers."""
    text_en, text_zh = _texts(
        category=category,
        meter_name=meter_name,
        kind=kind,
        check=check,
        started_at=started_at,
        ended_at=ended_at,
        actual_kwh=actual_kwh,
        expected_kwh=expected_kwh,
        cost_cny=cost_cny,
        excess_hours=excess_hours,
        ongoing=ongoing,
        tz=tz,
    )
    return json.dumps(
        {
            "check": check,
            "kind": kind,
            "actual_kwh": round(actual_kwh, 3),
            "expected_kwh": round(expected_kwh, 3),
            "since": _local(started_at, tz),
            "until": _local(ended_at, tz),
            "detected_at": _local(detected_at, tz),
            "detected_ts": int(detected_at),
            "text_en": text_en,
            "text_zh": text_zh,
            "series": series,
            "category": category.value,
            "meter_name": meter_name,
            "tz": tz,
            "cost_cny": round(cost_cny, 2),
            "excess_hours": int(excess_hours),
            "ongoing": bool(ongoing),
            "started_ts": int(started_at),
            "ended_ts": int(ended_at),
        },
        ensure_ascii=False,
    )


def restated(explanation_json: str, *, started_at: int, actual_kwh: float, expected_kwh: float, cost_cny: float) -> str:
    """The explanation told again from ``started_at`` with these totals (a creep alert that
    keeps its start once the scanned window no longer reaches it); unchanged when it was
    written before explanations kept what telling it again needs."""
    try:
        data = json.loads(explanation_json)
        category, tz, ended_at = MeterCategory(data["category"]), data["tz"], int(data["ended_ts"])
        meter_name, ongoing, check, kind = data["meter_name"], data["ongoing"], data["check"], data["kind"]
    except (ValueError, KeyError, TypeError):
        return explanation_json
    hours = max((ended_at - started_at) // 3600, int(data.get("excess_hours", 0)))
    data["text_en"], data["text_zh"] = _texts(
        category=category,
        meter_name=meter_name,
        kind=kind,
        check=check,
        started_at=started_at,
        ended_at=ended_at,
        actual_kwh=actual_kwh,
        expected_kwh=expected_kwh,
        cost_cny=cost_cny,
        excess_hours=hours,
        ongoing=ongoing,
        tz=tz,
    )
    data.update(
        actual_kwh=round(actual_kwh, 3),
        expected_kwh=round(expected_kwh, 3),
        since=_local(started_at, tz),
        cost_cny=round(cost_cny, 2),
        excess_hours=hours,
        started_ts=int(started_at),
    )
    return json.dumps(data, ensure_ascii=False)


def _texts(
    *,
    category: MeterCategory,
    meter_name: str,
    kind: str,
    check: str,
    started_at: int,
    ended_at: int,
    actual_kwh: float,
    expected_kwh: float,
    cost_cny: float,
    excess_hours: int,
    ongoing: bool,
    tz: str,
) -> tuple[str, str]:
    row = row_of(category)
    label_en, label_zh = (row.en, row.zh) if row is not None else (category.value, category.value)
    name_en = f" {meter_name}" if meter_name else ""
    # Simulated and real meter names already start with the category in Chinese (走廊照明3).
    name_zh = meter_name or label_zh
    hint_en, hint_zh = _HINTS.get(kind, _HINTS[WasteKind.BASELINE_EXCESS])
    since, until = _local(started_at, tz), _local(ended_at, tz)
    wasted = actual_kwh - expected_kwh
    state_en = "It is still going on at the latest reading." if ongoing else "Consumption has since returned to normal."
    state_zh = "截至最新读数仍在持续。" if ongoing else "目前用电已恢复正常。"
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
