"""The tariff format: what a person types is read, and a mistake names its field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.tariffs import load_plan, parse_plan

DATA = Path(__file__).resolve().parents[2] / "core" / "data" / "tariffs"
DAY = [
    {"name": "peak", "start": "08:00", "end": "22:00", "price": 1.05},
    {"name": "valley", "start": "22:00", "end": "08:00", "price": 0.36},
]


@pytest.mark.parametrize("path", sorted(DATA.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_tariff_file_reads(path):
    plan = load_plan(path)
    assert plan.versions and all(v.periods for v in plan.versions)


def test_the_older_list_of_periods_is_one_version_for_every_date():
    plan = parse_plan(DAY)
    assert len(plan.versions) == 1 and plan.versions[0].valid_from is None
    assert [p.start for p in plan.versions[0].periods] == [480, 1320]


def test_versions_keep_their_dates_and_seasons():
    plan = parse_plan(
        {
            "versions": [
                {"from": "2025-01-01", "periods": DAY},
                {
                    "from": "2026-06-01",
                    "periods": DAY,
                    "seasons": [
                        {"name": "summer", "months": [7, 8], "periods": [{"start": "11:00", "end": "13:00", "price": 1.3}]}
                    ],
                },
            ]
        }
    )
    assert [v.valid_from for v in plan.versions] == [date(2025, 1, 1), date(2026, 6, 1)]
    assert plan.versions[1].seasons[0].months == {7, 8}


@pytest.mark.parametrize(
    "raw, field",
    [
        ({"versions": [{"from": "2026-06-01", "periods": DAY}, {"from": "2025-01-01", "periods": DAY}]}, "must increase"),
        ({"versions": [{"periods": DAY, "seasons": [{"months": [13], "periods": DAY}]}]}, "versions[0].seasons[0].months"),
        ({"versions": [{"periods": [{"start": "8:00", "end": "22:00", "price": 1}]}]}, "versions[0].periods[0].start"),
        (
            {"versions": [{"periods": DAY, "holidays": {"periods": [{"start": "10:00", "end": "14:00", "price": -1}]}}]},
            "versions[0].holidays.periods[0]",
        ),
        ({"versions": [{"from": "1 June", "periods": DAY}]}, "versions[0].from"),
        ({"versions": [{"periods": DAY, "sesons": []}]}, "unknown keys ['sesons']"),
        ({"calendar": "China", "versions": [{"periods": DAY}]}, "calendar"),
        ({"versions": []}, "versions"),
    ],
)
def test_a_mistake_is_an_error_naming_its_field(raw, field):
    with pytest.raises(ValueError) as caught:
        parse_plan(raw)
    assert field in str(caught.value)


def test_stored_tariffs_are_read_leniently_dropping_a_bad_period():
    plan = parse_plan([{"start": "oops", "end": "11:00", "price": 9}, *DAY], strict=False)
    assert len(plan.versions[0].periods) == 2
