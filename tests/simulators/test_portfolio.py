"""Seeded portfolios of Chinese property sites and their public-space meters."""

from __future__ import annotations

import re

from core.domain import MeterCategory, SiteType, valid_id
from simulators import build_portfolio
from simulators.cities import CITIES


def test_same_seed_builds_the_same_portfolio():
    assert build_portfolio(6, seed=3) == build_portfolio(6, seed=3)


def test_different_seeds_build_different_portfolios():
    assert build_portfolio(6, seed=3).sites != build_portfolio(6, seed=4).sites


def test_site_ids_are_numbered_in_order():
    assert [s.site_id for s in build_portfolio(3, seed=1).sites] == ["site-0001", "site-0002", "site-0003"]


def test_meter_ids_name_site_category_and_number_and_are_valid_ids():
    p = build_portfolio(8, seed=2)
    for m in p.all_meters():
        assert re.fullmatch(rf"{m.site_id}-{m.category.value}-\d+", m.meter_id)
        assert valid_id(m.meter_id)


def test_meter_lookup_by_id_returns_the_meter():
    p = build_portfolio(2, seed=2)
    m = p.meters["site-0002"][0]
    assert p.meter(m.meter_id) is m


def test_small_portfolios_mix_site_types():
    assert len({s.site_type for s in build_portfolio(4, seed=11).sites}) == 4


def test_sites_are_in_known_cities_with_chinese_province_names():
    known = {(c.name, c.province) for c in CITIES}
    for site in build_portfolio(20, seed=5).sites:
        assert (site.city, site.province) in known
        assert 18 < site.latitude < 54 and 73 < site.longitude < 135


def test_only_industrial_parks_have_air_compressors_and_chillers():
    p = build_portfolio(30, seed=9)
    for site in p.sites:
        categories = {m.category for m in p.meters[site.site_id]}
        industrial_only = {MeterCategory.AIR_COMPRESSOR, MeterCategory.CHILLER}
        if site.site_type is SiteType.INDUSTRIAL:
            assert industrial_only <= categories
        else:
            assert not categories & industrial_only


def test_every_meter_has_a_positive_rating():
    assert all(m.rated_kw > 0 for m in build_portfolio(10, seed=1).all_meters())
