"""Ledgers by period: each calendar year its own factor, periods in local time that add up."""

from __future__ import annotations

import pytest

from core.carbon import site_carbon
from core.store.embedded import EmbeddedStore
from tests.carbon.ledgers import GD_2022, GD_2023, LATER, LIGHTS, METERS, RESIDUAL_2022, RESIDUAL_2023, SITE, local, point


@pytest.fixture
def store(tmp_path):
    store = EmbeddedStore(tmp_path / "series.sqlite")
    # 10 kWh at 23:00 on 31 Dec 2022 and 20 kWh at 01:00 on 1 Jan 2023, Shanghai time.
    store.write([point(LIGHTS, local(2022, 12, 31, 23), 10.0), point(LIGHTS, local(2023, 1, 1, 1), 20.0)])
    yield store
    store.close()


def test_a_range_crossing_new_year_applies_each_years_factor_to_its_own_readings(store):
    result = site_carbon(store, SITE, METERS, local(2022, 12, 31), local(2023, 1, 2), now=LATER)
    # By hand: 10 x 0.4403 + 20 x 0.4419 = 13.241 kg location; 10 x 0.5856 + 20 x 0.6096 = 18.048 kg market.
    assert result.totals.scope2_location_kg == pytest.approx(10 * GD_2022 + 20 * GD_2023)
    assert result.totals.scope2_market_kg == pytest.approx(10 * RESIDUAL_2022 + 20 * RESIDUAL_2023)
    location = sorted((u.factor.year, u.reading_years, u.quantity) for u in result.factors if u.role == "scope2_location")
    assert location == [(2022, (2022,), 10.0), (2023, (2023,), 20.0)]


def test_yearly_periods_split_at_local_midnight_of_new_year(store):
    result = site_carbon(store, SITE, METERS, local(2022, 12, 31), local(2023, 1, 2), now=LATER, granularity="year")
    assert [(p.period.label, p.totals.kwh) for p in result.periods] == [("2022", 10.0), ("2023", 20.0)]
    assert [p.period.start for p in result.periods] == [local(2022, 12, 31), local(2023, 1, 1)]
    assert [u.factor.year for p in result.periods for u in p.factors if u.role == "scope2_location"] == [2022, 2023]


def test_daily_periods_add_up_to_the_totals(store):
    result = site_carbon(store, SITE, METERS, local(2022, 12, 30), local(2023, 1, 3), now=LATER, granularity="day")
    assert [p.period.label for p in result.periods] == ["2022-12-30", "2022-12-31", "2023-01-01", "2023-01-02"]
    assert sum(p.totals.scope2_location_kg for p in result.periods) == pytest.approx(result.totals.scope2_location_kg)


def test_monthly_periods_are_clipped_to_the_range(store):
    result = site_carbon(store, SITE, METERS, local(2022, 12, 15), local(2023, 1, 10), now=LATER, granularity="month")
    assert [(p.period.label, p.period.start, p.period.end) for p in result.periods] == [
        ("2022-12", local(2022, 12, 15), local(2023, 1, 1)),
        ("2023-01", local(2023, 1, 1), local(2023, 1, 10)),
    ]
