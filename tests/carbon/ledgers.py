"""A 广东 office site for ledger tests: meters, a store to fill, and points by local time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain import EnergyPoint, Meter, MeterCategory, Site, SiteType

SHANGHAI = ZoneInfo("Asia/Shanghai")
SITE = Site("s1", "华润大厦", SiteType.OFFICE, "深圳", "广东", 22.5, 114.0)
LIGHTS = Meter("s1-light", "s1", MeterCategory.CORRIDOR_LIGHTING, 5.0)
LIFT = Meter("s1-lift", "s1", MeterCategory.ELEVATOR, 15.0)
GAS = Meter("s1-gas", "s1", MeterCategory.GAS, 0.0)
PV = Meter("s1-pv", "s1", MeterCategory.PV, 50.0)
METERS = [LIGHTS, LIFT, GAS, PV]
#: Far after every test range: completeness counts whole ranges.
LATER = 2_000_000_000

# Factors (kgCO2/kWh) by data year, from the reference tables: 广东 provincial average,
# national residual mix (excluding market-traded non-fossil power), natural gas per m3.
GD_2022, GD_2023 = 0.4403, 0.4419
RESIDUAL_2022, RESIDUAL_2023 = 0.5856, 0.6096
GAS_KG_PER_M3 = 2.162


def local(*args: int) -> int:
    """Epoch seconds of a Shanghai wall-clock time."""
    return int(datetime(*args, tzinfo=SHANGHAI).timestamp())


def point(meter: Meter, ts: int, energy: float) -> EnergyPoint:
    return EnergyPoint(meter.site_id, meter.meter_id, meter.category.value, ts, 0.0, energy)


def every_quarter(meter: Meter, start: int, count: int, energy: float, skip: frozenset[int] = frozenset()) -> list[EnergyPoint]:
    """``count`` readings 15 minutes apart from ``start``, leaving out the indexes in ``skip``."""
    return [point(meter, start + 900 * i, energy) for i in range(count) if i not in skip]
