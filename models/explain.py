"""Explanations of an alert that a facility manager can act on, in English and Chinese."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain import MeterCategory

#: Name of the check that fired, as it appears in the explanation's "check" field.
RESIDUAL_CHECK = "hourly_baseline_residual"

_LABELS: dict[MeterCategory, tuple[str, str]] = {
    MeterCategory.CORRIDOR_LIGHTING: ("Corridor lighting", "走廊照明"),
    MeterCategory.LOBBY_LIGHTING: ("Lobby lighting", "大堂照明"),
    MeterCategory.GARAGE_LIGHTING: ("Garage lighting", "车库照明"),
    MeterCategory.LANDSCAPE_LIGHTING: ("Landscape lighting", "景观照明"),
    MeterCategory.PUBLIC_HVAC: ("Public-area air conditioning", "公共区域空调"),
    MeterCategory.ELEVATOR: ("Elevator", "电梯"),
    MeterCategory.WATER_PUMP: ("Water pump", "给水泵"),
    MeterCategory.LANDSCAPE_PUMP: ("Landscape pump", "景观水泵"),
    MeterCategory.EV_CHARGER: ("EV charger", "充电桩"),
    MeterCategory.AIR_COMPRESSOR: ("Air compressor", "空压机"),
    MeterCategory.CHILLER: ("Chiller", "冷水机组"),
    MeterCategory.PV: ("PV array", "光伏"),
    MeterCategory.GAS: ("Gas meter", "燃气表"),
}

_HINTS: dict[str, tuple[str, str]] = {
    "lights_daylight": ("The lights appear to be on in daylight.", "疑似白天日照充足时照明未关。"),
    "lights_after_hours": ("The lights appear to be left on after hours.", "疑似非使用时段照明未关。"),
    "hvac_after_hours": (
        "The air conditioning appears to run outside business hours.",
        "疑似非工作时间空调仍在运行。",
    ),
    "pump_night": ("The pump appears to run at night when it normally rests.", "疑似水泵夜间异常运行。"),
    "baseline_excess": ("Consumption is above its usual level for these hours.", "该时段用电高于平时水平。"),
}


def _local(ts: int, tz: str) -> str:
    return datetime.fromtimestamp(ts, tz=ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def explanation(
    *,
    category: MeterCategory,
    meter_name: str,
    kind: str,
    started_at: int,
    ended_at: int,
    actual_kwh: float,
    expected_kwh: float,
    cost_cny: float,
    excess_hours: int,
    ongoing: bool,
    tz: str = "Asia/Shanghai",
) -> str:
    """The alert's explanation as a JSON string (keys: check, actual_kwh, expected_kwh, since, until, text_en, text_zh)."""
    label_en, label_zh = _LABELS.get(category, (category.value, category.value))
    name_en = f" {meter_name}" if meter_name else ""
    # Simulated and real meter names already start with the category in Chinese (走廊照明3).
    name_zh = meter_name or label_zh
    hint_en, hint_zh = _HINTS.get(kind, _HINTS["baseline_excess"])
    since, until = _local(started_at, tz), _local(ended_at, tz)
    wasted = actual_kwh - expected_kwh
    state_en = "It is still going on at the latest reading." if ongoing else "Consumption has since returned to normal."
    state_zh = "截至最新读数仍在持续。" if ongoing else "目前用电已恢复正常。"
    text_en = (
        f"{label_en}{name_en} used {actual_kwh:.1f} kWh from {since} to {until} (local time), "
        f"where its usual pattern for these hours is about {expected_kwh:.1f} kWh: "
        f"{wasted:.1f} kWh more than expected (about {cost_cny:.0f} CNY). {hint_en} "
        f"Check fired: hourly use clearly above the meter's learned baseline in {excess_hours} of these hours. {state_en}"
    )
    text_zh = (
        f"{name_zh}在{since}至{until}（当地时间）用电{actual_kwh:.1f}千瓦时，"
        f"按该时段的正常用电规律约为{expected_kwh:.1f}千瓦时，多用约{wasted:.1f}千瓦时（约{cost_cny:.0f}元）。"
        f"{hint_zh}判断依据：该时段内有{excess_hours}个小时的用电明显超出该电表学习到的小时用电基线。{state_zh}"
    )
    return json.dumps(
        {
            "check": RESIDUAL_CHECK,
            "kind": kind,
            "actual_kwh": round(actual_kwh, 3),
            "expected_kwh": round(expected_kwh, 3),
            "since": since,
            "until": until,
            "text_en": text_en,
            "text_zh": text_zh,
        },
        ensure_ascii=False,
    )
