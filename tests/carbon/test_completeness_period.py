"""Completeness counts the period the sites had readings in, and says which period that is."""

from __future__ import annotations

import pytest

from core.carbon import SiteInputs, portfolio_carbon, site_carbon
from core.domain import Meter, MeterCategory, Site, SiteType
from core.store.embedded import EmbeddedStore
from tests.carbon.ledgers import LIGHTS, SITE, every_quarter, local

YEAR = local(2024, 1, 1)
DECEMBER = local(2024, 12, 1)
NOW = local(2024, 12, 8)  # a week into December; the portfolio started on the 1st


@pytest.fixture
def store(tmp_path):
    store = EmbeddedStore(tmp_path / "series.sqlite")
    yield store
    store.close()


def test_a_site_that_started_this_month_is_complete_over_this_month_not_two_percent_of_the_year(store):
    store.write(every_quarter(LIGHTS, DECEMBER, 7 * 96, 1.0))

    result = site_carbon(store, SITE, [LIGHTS], YEAR, local(2025, 1, 1), granularity="month", now=NOW)

    assert result.totals.completeness == 1.0
    assert (result.totals.covered_start, result.totals.covered_end) == (DECEMBER, NOW)
    november = result.periods[10].totals
    assert (november.completeness, november.covered_start) == (None, None)


def test_gaps_inside_the_covered_period_still_count(store):
    store.write(every_quarter(LIGHTS, DECEMBER, 7 * 96, 1.0, skip=frozenset(range(96, 2 * 96))))  # 2 December missing

    result = site_carbon(store, SITE, [LIGHTS], YEAR, local(2025, 1, 1), granularity="month", now=NOW)

    assert result.totals.completeness == pytest.approx(6 / 7)


def test_a_portfolio_covers_from_its_first_site_to_now(store):
    other_site = Site("s2", "万象城", SiteType.MALL, "成都", "四川", 30.6, 104.1)
    other = Meter("s2-light", "s2", MeterCategory.CORRIDOR_LIGHTING, 5.0)
    november = local(2024, 11, 1)
    store.write(every_quarter(LIGHTS, DECEMBER, 7 * 96, 1.0) + every_quarter(other, november, 37 * 96, 1.0))

    result = portfolio_carbon(
        store,
        [SiteInputs(SITE, [LIGHTS]), SiteInputs(other_site, [other])],
        YEAR,
        local(2025, 1, 1),
        granularity="month",
        now=NOW,
    )

    assert (result.totals.covered_start, result.totals.covered_end) == (november, NOW)
    assert result.totals.completeness == 1.0


def test_a_registered_site_without_any_readings_is_expected_over_the_whole_range(store):
    result = site_carbon(store, SITE, [LIGHTS], YEAR, local(2025, 1, 1), granularity="month", now=NOW)

    assert result.totals.completeness == 0.0
    assert result.totals.covered_start == YEAR
