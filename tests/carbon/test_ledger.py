"""A site's carbon ledger reconciled with one computed by hand."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.carbon import factor_year, site_carbon
from core.domain import EnergyPoint, Meter, MeterCategory, Site, SiteType
from core.store.embedded import EmbeddedStore

SITE = Site("s1", "华润大厦", SiteType.OFFICE, "深圳", "广东", 22.5, 114.0)
LIGHTS = Meter("s1-light", "s1", MeterCategory.CORRIDOR_LIGHTING, 5.0)
LIFT = Meter("s1-lift", "s1", MeterCategory.ELEVATOR, 15.0)
GAS = Meter("s1-gas", "s1", MeterCategory.GAS, 0.0)
PV = Meter("s1-pv", "s1", MeterCategory.PV, 50.0)
METERS = [LIGHTS, LIFT, GAS, PV]

# 2024-03-01 00:00 Asia/Shanghai, and one hour later.
START = int(datetime(2024, 2, 29, 16, tzinfo=timezone.utc).timestamp())
END = START + 3600


def _point(meter: Meter, ts: int, energy: float) -> EnergyPoint:
    return EnergyPoint(meter.site_id, meter.meter_id, meter.category.value, ts, 0.0, energy)


@pytest.fixture
def store(tmp_path):
    store = EmbeddedStore(tmp_path / "series.sqlite")
    store.write(
        [
            _point(LIGHTS, START, 10.0),
            _point(LIGHTS, START + 1800, 12.5),
            _point(LIGHTS, END, 100.0),  # outside the half-open range
            _point(LIFT, START + 900, 7.5),
            _point(GAS, START, 4.0),
            _point(GAS, START + 1800, 6.0),
            _point(PV, START + 1800, 20.0),
        ]
    )
    yield store
    store.close()


# The ledger by hand, with 广东 2023 = 0.4419 kgCO2/kWh (2024 reading -> 2023 data year)
# and natural gas 2.162 kgCO2/Nm3:
#   electricity 10 + 12.5 + 7.5 = 30 kWh  -> 30 x 0.4419 = 13.257 kg (Scope 2)
#   gas         4 + 6         = 10 m3    -> 10 x 2.162  = 21.62 kg  (Scope 1)
#   PV          20 kWh, reported only
#   total       13.257 + 21.62 = 34.877 kg


def test_ledger_sums_electricity_gas_and_pv_separately(store):
    result = site_carbon(store, SITE, METERS, START, END)
    assert (result.kwh, result.gas_m3, result.pv_kwh) == (30.0, 10.0, 20.0)


def test_scope2_is_grid_electricity_times_provincial_factor(store):
    result = site_carbon(store, SITE, METERS, START, END)
    assert result.scope2_location_kg == pytest.approx(13.257)


def test_scope1_is_gas_volume_times_gas_factor(store):
    result = site_carbon(store, SITE, METERS, START, END)
    assert result.scope1_kg == pytest.approx(21.62)


def test_total_is_scope1_plus_scope2_without_pv_credit(store):
    result = site_carbon(store, SITE, METERS, START, END)
    assert result.total_kg == pytest.approx(34.877)


def test_ledger_reports_the_factors_used_with_year_and_source(store):
    result = site_carbon(store, SITE, METERS, START, END)
    assert (result.electricity_factor.value, result.electricity_factor.year) == (0.4419, 2023)
    assert "MEE&NBS" in result.electricity_factor.source
    assert result.gas_factor.value == 2.162


def test_ledger_breaks_electricity_down_by_category(store):
    result = site_carbon(store, SITE, METERS, START, END)
    assert result.kwh_by_category == {"corridor_lighting": 22.5, "elevator": 7.5}


def test_explicit_year_overrides_the_year_of_start(store):
    result = site_carbon(store, SITE, METERS, START, END, year=2022)
    assert (result.year, result.electricity_factor.value) == (2022, 0.4403)
    assert result.scope2_location_kg == pytest.approx(30 * 0.4403)


def test_meter_missing_from_the_list_is_reported_not_counted(store):
    result = site_carbon(store, SITE, [LIGHTS, GAS, PV], START, END)
    assert result.kwh == 22.5
    assert result.unclassified_meters == ("s1-lift",)


def test_pv_only_site_has_zero_emissions_not_negative(tmp_path):
    store = EmbeddedStore(tmp_path / "pv.sqlite")
    store.write([_point(PV, START, 40.0)])
    result = site_carbon(store, SITE, METERS, START, END)
    store.close()
    assert (result.pv_kwh, result.total_kg) == (40.0, 0.0)


def test_factor_year_is_the_shanghai_calendar_year():
    # 2022-12-31 17:00 UTC is already 2023-01-01 01:00 in Shanghai.
    assert factor_year(int(datetime(2022, 12, 31, 17, tzinfo=timezone.utc).timestamp())) == 2023
