"""A site's carbon ledger reconciled with ledgers computed by hand."""

from __future__ import annotations

import pytest

from core.carbon import GreenInstrument, factor_year, site_carbon
from core.store.embedded import EmbeddedStore
from tests.carbon.ledgers import (
    GAS,
    GAS_KG_PER_M3,
    GD_2023,
    LATER,
    LIFT,
    LIGHTS,
    METERS,
    PV,
    RESIDUAL_2023,
    SITE,
    local,
    point,
)

# 2024-03-01 00:00 to 01:00 in Shanghai: 2024 readings take the 2023 data-year factors.
START = local(2024, 3, 1)
END = START + 3600


@pytest.fixture
def store(tmp_path):
    store = EmbeddedStore(tmp_path / "series.sqlite")
    yield store
    store.close()


def ledger(store, **kwargs):
    return site_carbon(store, SITE, METERS, START, END, now=LATER, **kwargs)


# The base ledger by hand (no PV):
#   electricity 10 + 12.5 + 7.5 = 30 kWh   location 30 x 0.4419 = 13.257 kg
#                                          market   30 x 0.6096 = 18.288 kg
#   gas         4 + 6 = 10 m3              scope 1  10 x 2.162  = 21.62 kg
BASE = [
    point(LIGHTS, START, 10.0),
    point(LIGHTS, START + 1800, 12.5),
    point(LIGHTS, END, 100.0),  # outside the half-open range
    point(LIFT, START + 900, 7.5),
    point(GAS, START, 4.0),
    point(GAS, START + 1800, 6.0),
]


def test_location_based_scope2_is_grid_electricity_times_the_provincial_factor(store):
    store.write(BASE)
    result = ledger(store)
    assert (result.totals.kwh, result.totals.grid_kwh) == (30.0, 30.0)
    assert result.totals.scope2_location_kg == pytest.approx(30 * GD_2023)


def test_market_based_scope2_without_certificates_uses_the_residual_mix(store):
    store.write(BASE)
    assert ledger(store).totals.scope2_market_kg == pytest.approx(30 * RESIDUAL_2023)


def test_certificates_take_the_covered_kwh_to_zero_and_leave_the_rest_at_the_residual_mix(store):
    store.write(BASE)
    gec = GreenInstrument("gec", mwh=0.012, period_start=START, period_end=END, vintage_year=2024)
    result = ledger(store, instruments=[gec])
    # 12 of 30 kWh covered: market (30 - 12) x 0.6096 = 10.9728; location unchanged.
    assert result.totals.certified_kwh == pytest.approx(12.0)
    assert result.totals.scope2_market_kg == pytest.approx(18 * RESIDUAL_2023)
    assert result.totals.scope2_location_kg == pytest.approx(30 * GD_2023)


def test_certificates_never_cover_more_than_was_consumed(store):
    store.write(BASE)
    gec = GreenInstrument("gec", mwh=5.0, period_start=START, period_end=END, vintage_year=2024)
    result = ledger(store, instruments=[gec])
    assert (result.totals.certified_kwh, result.totals.scope2_market_kg) == (pytest.approx(30.0), 0.0)


def test_a_certificate_period_longer_than_the_range_is_spread_pro_rata_over_it(store):
    # Two days of 48 kWh each; 48 GEC kWh for both days cover half of each day.
    day1, day2 = local(2024, 3, 1), local(2024, 3, 2)
    store.write([point(LIGHTS, day1 + 3600, 48.0), point(LIGHTS, day2 + 3600, 48.0)])
    contract = GreenInstrument("green_power_contract", mwh=0.048, period_start=day1, period_end=day2 + 86400, vintage_year=2024)
    result = site_carbon(store, SITE, METERS, day1, day2, now=LATER, instruments=[contract])
    assert result.totals.certified_kwh == pytest.approx(24.0)
    assert result.totals.scope2_market_kg == pytest.approx(24 * RESIDUAL_2023)


def test_scope1_is_gas_volume_times_the_gas_factor(store):
    store.write(BASE)
    result = ledger(store)
    assert (result.totals.gas_m3, result.totals.scope1_kg) == (10.0, pytest.approx(10 * GAS_KG_PER_M3))
    assert result.totals.total_kg == pytest.approx(10 * GAS_KG_PER_M3 + 30 * GD_2023)
    assert result.totals.total_market_kg == pytest.approx(10 * GAS_KG_PER_M3 + 30 * RESIDUAL_2023)


def test_pv_consumed_behind_the_meter_lowers_grid_import_per_interval_and_exports_offset_nothing(store):
    store.write(
        BASE
        + [
            point(PV, START, 4.0),  # 00:00: 10 kWh used, 4 generated -> 6 from the grid
            point(PV, START + 1800, 20.0),  # 00:30: 12.5 used, 20 generated -> 0; 7.5 exported
        ]
    )
    result = ledger(store)
    # Grid: 6 (00:00) + 7.5 (00:15, lift, no PV) + 0 (00:30) = 13.5 kWh; the export is not subtracted.
    assert (result.totals.kwh, result.totals.grid_kwh, result.totals.pv_kwh) == (30.0, 13.5, 24.0)
    assert result.totals.pv_self_consumed_kwh == pytest.approx(16.5)
    assert result.totals.scope2_location_kg == pytest.approx(13.5 * GD_2023)


def test_a_pv_only_site_has_zero_emissions_not_negative(store):
    store.write([point(PV, START, 40.0)])
    result = ledger(store)
    assert (result.totals.pv_kwh, result.totals.total_kg, result.totals.total_market_kg) == (40.0, 0.0, 0.0)


def test_ledger_reports_every_factor_used_with_role_source_and_data_year(store):
    store.write(BASE)
    uses = {(u.role, u.factor.value, u.factor.year, u.reading_years) for u in ledger(store).factors}
    assert uses == {
        ("scope2_location", GD_2023, 2023, (2024,)),
        ("scope2_market_residual", RESIDUAL_2023, 2023, (2024,)),
        ("scope1_gas", GAS_KG_PER_M3, None, (2024,)),
    }
    assert all(u.factor.source for u in ledger(store).factors)


def test_ledger_breaks_electricity_down_by_category(store):
    store.write(BASE)
    assert ledger(store).totals.kwh_by_category == {"corridor_lighting": 22.5, "elevator": 7.5}


def test_explicit_year_overrides_each_days_own_year(store):
    store.write(BASE)
    result = ledger(store, year=2022)
    assert (result.year, result.electricity_factor.value) == (2022, 0.4403)
    assert result.totals.scope2_location_kg == pytest.approx(30 * 0.4403)


def test_meter_missing_from_the_registry_is_reported_not_counted(store):
    store.write(BASE)
    result = site_carbon(store, SITE, [LIGHTS, GAS, PV], START, END, now=LATER)
    assert result.totals.kwh == 22.5
    assert result.unclassified_meters == ("s1-lift",)


def test_factor_year_is_the_shanghai_calendar_year():
    # 2022-12-31 17:00 UTC is already 2023-01-01 01:00 in Shanghai.
    assert factor_year(local(2023, 1, 1, 1)) == 2023
