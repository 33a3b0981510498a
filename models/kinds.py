"""What kind of waste an excess episode is, from the meter category and the hours it covers."""

from __future__ import annotations

import numpy as np

from core.domain import GAS_CATEGORIES, GENERATION_CATEGORIES, MeterCategory

LIGHTS_DAYLIGHT = "lights_daylight"
LIGHTS_AFTER_HOURS = "lights_after_hours"
HVAC_AFTER_HOURS = "hvac_after_hours"
PUMP_NIGHT = "pump_night"
BASELINE_EXCESS = "baseline_excess"

LIGHTING = frozenset(
    {
        MeterCategory.CORRIDOR_LIGHTING,
        MeterCategory.LOBBY_LIGHTING,
        MeterCategory.GARAGE_LIGHTING,
        MeterCategory.LANDSCAPE_LIGHTING,
    }
)
HVAC = frozenset({MeterCategory.PUBLIC_HVAC, MeterCategory.CHILLER})
PUMPS = frozenset({MeterCategory.WATER_PUMP, MeterCategory.LANDSCAPE_PUMP})

#: Local business hours [open, close) of public HVAC on working days. Wider than an
#: office's 9-18 so that pre-cooling and late meetings are not called waste.
BUSINESS_HOURS = (8, 20)
#: Local night hours [start, end) wrapping midnight, when pumps normally rest.
NIGHT_HOURS = (22, 6)
#: Share of an episode's excess that must fall in the kind's hours to name it so.
MAJORITY = 0.5


def is_scored(category: MeterCategory) -> bool:
    """Whether excess on this meter can be waste: generation and gas are not scored here."""
    return category not in GENERATION_CATEGORIES and category not in GAS_CATEGORIES


def _share(mask: np.ndarray, excess: np.ndarray) -> float:
    weight = np.clip(np.nan_to_num(excess, nan=0.0), 0.0, None)
    total = weight.sum()
    if total <= 0:
        return float(np.mean(mask)) if mask.size else 0.0
    return float(weight[mask].sum() / total)


def waste_kind(
    category: MeterCategory,
    *,
    local_hours: np.ndarray,
    daylight: np.ndarray,
    workday: np.ndarray,
    excess: np.ndarray,
) -> str:
    """Kind of the waste in an episode.

    Parameters are per-hour arrays over the episode: local hour of day, daylight
    fraction, 1 on working days, and the excess kWh (actual - expected) that
    weights each hour's vote.
    """
    local_hours = np.asarray(local_hours)
    if category in LIGHTING:
        return LIGHTS_DAYLIGHT if _share(np.asarray(daylight) >= 0.5, excess) >= MAJORITY else LIGHTS_AFTER_HOURS
    if category in HVAC:
        open_, close = BUSINESS_HOURS
        business = (np.asarray(workday) > 0) & (local_hours >= open_) & (local_hours < close)
        return HVAC_AFTER_HOURS if _share(~business, excess) >= MAJORITY else BASELINE_EXCESS
    if category in PUMPS:
        start, end = NIGHT_HOURS
        night = (local_hours >= start) | (local_hours < end)
        return PUMP_NIGHT if _share(night, excess) >= MAJORITY else BASELINE_EXCESS
    return BASELINE_EXCESS
