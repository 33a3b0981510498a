"""Small seeded synthetic meters for unit tests: a daily pattern on real hourly features."""

from __future__ import annotations

import numpy as np

from core.domain import Site, SiteType
from models.features import hour_features, local_hour

#: 2025-06-09 00:00 Asia/Shanghai, a Monday.
MONDAY = 1_749_398_400
SITE = Site("site-t", "测试园区", SiteType.OFFICE, "上海", "上海", 31.23, 121.47)


def hours(days: int, start: int = MONDAY) -> np.ndarray:
    return np.arange(start, start + days * 86400, 3600, dtype=np.int64)


def evening_lights(grid: np.ndarray, *, on_kwh: float = 10.0, noise: float = 0.03, seed: int = 0) -> np.ndarray:
    """Lights on 19:00-23:00 local at ``on_kwh`` per hour, off otherwise, with relative noise."""
    rng = np.random.default_rng(seed)
    hour = local_hour(grid)
    level = np.where((hour >= 19) & (hour < 23), on_kwh, 0.05)
    return level * (1.0 + noise * rng.standard_normal(grid.size))


def features(grid: np.ndarray) -> np.ndarray:
    return hour_features(grid, SITE)
