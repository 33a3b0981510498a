"""Load realism: holidays and make-up days, climate by city and season, service hours, daylight."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from core.domain import MeterCategory, Site, SiteType
from core.solar import daylight_fraction_array, daylight_seconds, solar_elevation, solar_elevation_array
from simulators import Portfolio, build_portfolio, generate
from simulators.cities import CITIES, CITY_BY_NAME
from tests.simulators.common import DAY, STEP

SHANGHAI = ZoneInfo("Asia/Shanghai")


def midnight(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=SHANGHAI).timestamp())


def day_kwh(p: Portfolio, site_id: str, d: date, categories=None, seed: int = 0) -> float:
    """kWh (or m3) the site's meters of ``categories`` count over local day ``d``."""
    start = midnight(d)
    first, last = {}, {}
    for ts, readings in generate(p, start, start + DAY + STEP, seed=seed):
        for r in readings:
            if r.site_id == site_id and (categories is None or p.meter(r.meter_id).category in categories):
                (first if ts == start else last)[r.meter_id] = r.register
    return sum(last[m] - first[m] for m in first)


def one_site(site_type: SiteType, city: str, seed: int = 11) -> Portfolio:
    """A portfolio holding one site of ``site_type`` moved to ``city``."""
    p = build_portfolio(4, seed=seed)
    site = next(s for s in p.sites if s.site_type is site_type)
    c = CITY_BY_NAME[city]
    moved = replace(site, city=c.name, province=c.province, latitude=c.latitude, longitude=c.longitude)
    return Portfolio(sites=[moved], meters={site.site_id: p.meters[site.site_id]}, profiles=p.profiles)


OFFICE_USE = {MeterCategory.PUBLIC_HVAC, MeterCategory.LOBBY_LIGHTING, MeterCategory.ELEVATOR}


def test_an_office_on_a_make_up_sunday_works_like_a_weekday():
    p = one_site(SiteType.OFFICE, "上海")
    site = p.sites[0].site_id
    makeup = day_kwh(p, site, date(2026, 9, 20), OFFICE_USE)  # Sunday worked for 国庆节
    sunday = day_kwh(p, site, date(2026, 9, 13), OFFICE_USE)
    assert makeup > 2 * sunday


def test_an_office_on_national_day_uses_what_it_uses_on_a_sunday():
    p = one_site(SiteType.OFFICE, "上海")
    site = p.sites[0].site_id
    holiday = day_kwh(p, site, date(2026, 10, 2), OFFICE_USE)  # a Friday off
    workday = day_kwh(p, site, date(2026, 10, 9), OFFICE_USE)
    assert holiday < 0.5 * workday


def test_public_hvac_in_guangzhou_works_harder_in_july_than_in_april():
    p = one_site(SiteType.MALL, "广州")
    site = p.sites[0].site_id
    hvac = {MeterCategory.PUBLIC_HVAC}
    assert day_kwh(p, site, date(2026, 7, 15), hvac) > 1.3 * day_kwh(p, site, date(2026, 4, 15), hvac)


def test_winter_heating_shows_in_shanghai_hvac_but_not_on_harbins_district_heating():
    hvac = {MeterCategory.PUBLIC_HVAC}
    jan, may = date(2026, 1, 14), date(2026, 5, 13)  # May: neither heating nor cooling
    ratios = {}
    for city in ("哈尔滨", "上海"):
        p = one_site(SiteType.MALL, city)
        ratios[city] = day_kwh(p, p.sites[0].site_id, jan, hvac) / day_kwh(p, p.sites[0].site_id, may, hvac)
    assert CITY_BY_NAME["哈尔滨"].district_heating and not CITY_BY_NAME["上海"].district_heating
    assert ratios["上海"] > 1.25
    assert ratios["哈尔滨"] < 1.2


def test_escalators_stop_outside_mall_hours_while_lifts_keep_a_standby_load():
    p = one_site(SiteType.MALL, "上海")
    escalators = {m for m, prof in p.profiles.items() if prof == "escalator"}
    assert escalators
    start = midnight(date(2026, 6, 3))
    night = [r for ts, rs in generate(p, start + 3 * 3600, start + 4 * 3600) for r in rs]
    assert all(r.power_kw < 0.02 * p.meter(r.meter_id).rated_kw for r in night if r.meter_id in escalators)


def test_rooftop_pv_generates_nothing_at_night_and_most_at_midday():
    p = build_portfolio(8, seed=3)
    pv = {m.meter_id for m in p.all_meters() if m.category is MeterCategory.PV}
    start = midnight(date(2026, 6, 3))
    power = {ts: [r.power_kw for r in rs if r.meter_id in pv] for ts, rs in generate(p, start, start + DAY)}
    assert all(p == 0 for p in power[start + 2 * 3600])
    assert min(power[start + 13 * 3600]) > 0


def test_every_meter_category_appears_in_a_mixed_portfolio():
    p = build_portfolio(30, seed=9)
    assert {m.category for m in p.all_meters()} == set(MeterCategory)
    assert {"escalator", "gas_boiler", "gas_canteen"} <= set(p.profiles.values())


def test_every_city_has_a_province_a_climate_zone_and_plausible_normals():
    for c in CITIES:
        assert c.province and c.climate in {"严寒", "寒冷", "夏热冬冷", "夏热冬暖", "温和"}
        assert -25 < c.jan_c < c.jul_c < 32
    assert CITY_BY_NAME["海口"].jan_c > CITY_BY_NAME["北京"].jan_c + 15


def test_meter_scale_gives_dozens_of_meters_a_site():
    p = build_portfolio(20, seed=1, meter_scale=3.5)
    assert 35 <= len(list(p.all_meters())) / 20 <= 65


@pytest.mark.parametrize("lat,lon", [(39.904, 116.407), (22.543, 114.058), (45.803, 126.535)])
def test_vectorised_sun_matches_the_scalar_equations(lat, lon):
    lats, lons = np.array([lat]), np.array([lon])
    for ts in range(midnight(date(2026, 3, 20)), midnight(date(2026, 3, 21)), 1800):
        assert daylight_fraction_array(lats, lons, ts, ts + STEP)[0] == pytest.approx(
            daylight_seconds(lat, lon, ts, ts + STEP) / STEP, abs=0.01
        )
        assert solar_elevation_array(lats, lons, ts)[0] == pytest.approx(solar_elevation(lat, lon, ts), abs=1e-9)


def test_a_site_outside_the_city_table_still_gets_a_climate():
    site = Site("x-1", "x", SiteType.OFFICE, "拉萨", "西藏", 29.65, 91.1)
    p = Portfolio(sites=[site], meters={"x-1": build_portfolio(4, seed=11).meters["site-0002"]})
    assert p  # built without error
    with pytest.raises(ValueError):
        build_portfolio(3, seed=1, meter_scale=0)
