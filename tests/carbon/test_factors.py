"""Choosing published emission factors: the year rule, province lookup, excluded rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.carbon import diesel_factor, electricity_factor, gas_factor, load_factors, normalise_province, residual_mix_factor

# Expected values are read off /work/shared/reference/emission_factors.md, sections 1, 3 and 5.


@pytest.mark.parametrize(
    ("reading_year", "data_year", "value"),
    [
        (2024, 2023, 0.4419),  # newer than every published set: the latest (2023)
        (2022, 2022, 0.4403),  # a published year: that year
        (2021, 2021, 0.4715),  # the first published year
        (2019, 2021, 0.4715),  # before every published set: the earliest (2021)
        (2030, 2023, 0.4419),  # far future: still the latest
    ],
)
def test_electricity_factor_takes_latest_data_year_not_after_reading_year(reading_year, data_year, value):
    factor = electricity_factor("广东", reading_year)
    assert (factor.year, factor.value) == (data_year, value)


def test_electricity_factor_is_the_provincial_mee_average():
    factor = electricity_factor("四川", 2022)
    assert (factor.key, factor.region, factor.value, factor.unit) == (
        "elec_avg_co2_province",
        "四川",
        0.1404,
        "kgCO2/kWh",
    )


def test_electricity_factor_carries_the_mee_notice_as_source():
    assert "公告2025年第47号" in electricity_factor("广东", 2023).source


@pytest.mark.parametrize("written", ["广东省", " 广东 "])
def test_province_with_administrative_suffix_or_spaces_matches_short_name(written):
    assert electricity_factor(written, 2023).value == 0.4419


@pytest.mark.parametrize(("written", "short"), [("广西壮族自治区", "广西"), ("内蒙古自治区", "内蒙古"), ("北京市", "北京")])
def test_autonomous_regions_and_municipalities_match_short_names(written, short):
    assert electricity_factor(written, 2023).region == short


@pytest.mark.parametrize(("reading_year", "value"), [(2024, 0.5306), (2022, 0.5366), (2019, 0.5568)])
def test_unknown_province_falls_back_to_national_average_with_same_year_rule(reading_year, value):
    factor = electricity_factor("西藏", reading_year)
    assert (factor.key, factor.region, factor.value) == ("elec_avg_co2", "全国", value)


@pytest.mark.parametrize(("reading_year", "value"), [(2021, 0.5942), (2023, 0.6096), (2025, 0.6096), (2000, 0.5942)])
def test_residual_mix_is_national_average_excluding_market_traded_non_fossil(reading_year, value):
    factor = residual_mix_factor(reading_year)
    assert (factor.key, factor.value) == ("elec_avg_co2_excl_market_nonfossil", value)


def test_gas_factor_is_the_chinese_guideline_default_per_cubic_metre():
    factor = gas_factor()
    # 389.31 GJ/1e4 Nm3 x 15.3 tC/TJ x 0.99 x 44/12 = 2.1622 kgCO2/Nm3
    assert (factor.key, factor.value, factor.unit) == ("natural_gas_co2_cn_default", 2.162, "kgCO2/Nm3")
    assert factor.value == pytest.approx(0.038931 * 15.3 * 0.99 * 44 / 12, abs=5e-4)


def test_packaged_table_excludes_exactly_the_unverified_and_lifecycle_rows():
    excluded = sorted(f.key for f in load_factors().excluded)
    assert excluded == [
        "elec_carbon_footprint_lifecycle",
        "elec_carbon_footprint_lifecycle",
        "grid_avg_reporting_notice_UNVERIFIED",
        "natural_gas_ncv_ipcc2006_UNVERIFIED",
    ]


def test_packaged_table_has_every_province_for_every_published_year():
    table = load_factors()
    years = {f.year for f in table.factors if f.key == "elec_avg_co2_province"}
    assert years == {2021, 2022, 2023}
    assert len(table.regions("elec_avg_co2_province")) == 30


def _table_with(tmp_path: Path, *extra_rows: str):
    path = tmp_path / "factors.csv"
    path.write_text(
        "key,region,year,value,unit,source\n"
        "elec_avg_co2,全国,2022,0.5366,kgCO2/kWh,S22\n"
        "elec_avg_co2_province,广东,2022,0.4403,kgCO2/kWh,S22\n" + "".join(row + "\n" for row in extra_rows),
        encoding="utf-8",
    )
    return load_factors(path)


def test_unverified_row_is_never_chosen_even_when_newer(tmp_path):
    table = _table_with(tmp_path, "elec_avg_co2_province,广东,2024,0.9999,kgCO2/kWh,recollection — UNVERIFIED")
    assert electricity_factor("广东", 2024, table).value == 0.4403


def test_unverified_key_is_never_chosen(tmp_path):
    table = _table_with(tmp_path, "elec_avg_co2_UNVERIFIED,全国,2024,0.9999,kgCO2/kWh,S?")
    assert electricity_factor("西藏", 2024, table).value == 0.5366


def test_lifecycle_footprint_row_is_never_chosen_for_scope_2(tmp_path):
    table = _table_with(tmp_path, 'elec_avg_co2,全国,2024,0.5777,kgCO2e/kWh,"footprint — lifecycle, NOT scope 2"')
    assert electricity_factor("西藏", 2024, table).value == 0.5366


@pytest.mark.parametrize(
    ("written", "short"),
    [
        ("Guangdong", "广东"),
        ("guangdong province", "广东"),
        ("Guangdong Sheng", "广东"),
        ("Inner Mongolia Autonomous Region", "内蒙古"),
        ("Shaanxi", "陕西"),
        ("Shanxi", "山西"),
        ("Beijing Municipality", "北京"),
        ("Xinjiang Uygur Autonomous Region", "新疆"),
    ],
)
def test_pinyin_and_english_province_names_match_the_chinese_short_name(written, short):
    assert normalise_province(written) == short


def test_a_pinyin_province_gets_its_provincial_factor():
    assert electricity_factor("Sichuan", 2022).value == 0.1404


def test_diesel_factor_is_the_chinese_guideline_default_per_tonne():
    factor = diesel_factor()
    # 42.652 GJ/t x 20.2 tC/TJ x 0.98 x 44/12 = 3.0959 tCO2/t
    assert (factor.value, factor.unit) == (3.0959, "tCO2/t")
    assert factor.value == pytest.approx(42.652 * 20.2 * 0.98 * 44 / 12 / 1000, abs=5e-4)
