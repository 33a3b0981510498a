"""Data completeness: readings present against those expected from each meter's own interval."""

from __future__ import annotations

import pytest

from core.carbon import infer_interval, site_carbon
from core.store.embedded import EmbeddedStore
from tests.carbon.ledgers import LIFT, LIGHTS, SITE, every_quarter, local, point

DAY1 = local(2024, 5, 1)


@pytest.fixture
def store(tmp_path):
    store = EmbeddedStore(tmp_path / "series.sqlite")
    yield store
    store.close()


def test_a_gap_of_ten_quarter_hours_in_a_day_leaves_86_of_96_readings(store):
    store.write(every_quarter(LIGHTS, DAY1, 96, 1.0, skip=frozenset(range(40, 50))))
    result = site_carbon(store, SITE, [LIGHTS], DAY1, DAY1 + 86400, now=DAY1 + 10 * 86400)
    assert (result.totals.readings, result.totals.expected_readings) == (86, 96)
    assert result.totals.completeness == pytest.approx(86 / 96)


def test_each_meter_is_expected_at_its_own_interval(store):
    # Lights every 15 minutes (96 a day), lift every hour (24 a day), two whole days.
    store.write(every_quarter(LIGHTS, DAY1, 192, 1.0) + [point(LIFT, DAY1 + 3600 * h, 1.0) for h in range(48)])
    result = site_carbon(store, SITE, [LIGHTS, LIFT], DAY1, DAY1 + 2 * 86400, now=DAY1 + 10 * 86400)
    assert result.intervals == {"s1-light": 900, "s1-lift": 3600}
    assert result.totals.completeness == 1.0


def test_a_registered_meter_without_data_is_expected_every_15_minutes(store):
    store.write(every_quarter(LIGHTS, DAY1, 96, 1.0))
    result = site_carbon(store, SITE, [LIGHTS, LIFT], DAY1, DAY1 + 86400, now=DAY1 + 10 * 86400)
    assert result.intervals["s1-lift"] == 900
    assert result.totals.completeness == pytest.approx(0.5)


def test_readings_are_not_expected_after_now(store):
    store.write(every_quarter(LIGHTS, DAY1, 40, 1.0))  # 00:00 to 09:45; now is 10:00
    result = site_carbon(store, SITE, [LIGHTS], DAY1, DAY1 + 86400, now=DAY1 + 36000, granularity="day")
    assert result.totals.completeness == 1.0


def test_a_period_wholly_in_the_future_has_no_completeness(store):
    store.write(every_quarter(LIGHTS, DAY1, 4, 1.0))
    result = site_carbon(store, SITE, [LIGHTS], DAY1, DAY1 + 2 * 86400, now=DAY1 + 3600, granularity="day")
    assert [p.totals.completeness for p in result.periods] == [1.0, None]


@pytest.mark.parametrize(("spacings", "interval"), [([900, 900, 1200], 900), ([909.5], 900), ([3600, 3000], 3600), ([], 900)])
def test_interval_is_the_median_day_spacing_snapped_to_a_standard_interval(spacings, interval):
    assert infer_interval(spacings) == interval
