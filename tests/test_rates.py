"""One syntax for event rates by kind, shared by ``kilowatch simulate`` and ``kilowatch evaluate``."""

from __future__ import annotations

import pytest
import typer

from kilowatch.rates import parse_rates

KINDS = ("pump_night", "hvac_after_hours", "base_load_creep")


def test_repeated_and_comma_joined_pairs_read_the_same() -> None:
    repeated = parse_rates(["pump_night=1", "hvac_after_hours=0.5"], KINDS, "--waste")
    joined = parse_rates("pump_night=1, hvac_after_hours=0.5", KINDS, "--waste")
    mixed = parse_rates(["pump_night=1,hvac_after_hours=0.5"], KINDS, "--waste")
    assert repeated == joined == mixed == {"pump_night": 1.0, "hvac_after_hours": 0.5}


def test_all_sets_every_kind_and_a_later_pair_wins() -> None:
    assert parse_rates(["all=0.5,pump_night=2"], KINDS, "--waste") == {
        "pump_night": 2.0,
        "hvac_after_hours": 0.5,
        "base_load_creep": 0.5,
    }


def test_nothing_given_is_no_kind() -> None:
    assert parse_rates(None, KINDS, "--waste") == {} == parse_rates([], KINDS, "--waste")


def test_an_unknown_kind_is_a_usage_error_naming_it_and_the_kinds() -> None:
    with pytest.raises(typer.BadParameter) as info:
        parse_rates(["pump_night=1,lights_on_mars=2"], KINDS, "--waste")
    message = info.value.format_message()
    assert "'lights_on_mars'" in message and "base_load_creep" in message
    assert info.value.param_hint == "--waste"


@pytest.mark.parametrize(
    "bad",
    ["pump_night", "pump_night=", "=1", "pump_night=lots", "pump_night=-1", "pump_night=nan", "pump_night=inf", "pump_night=1,"],
)
def test_a_pair_that_is_not_kind_equals_a_rate_of_zero_or_more_is_a_usage_error(bad: str) -> None:
    with pytest.raises(typer.BadParameter, match="KIND=RATE|rate must be a number"):
        parse_rates([bad], KINDS, "--fault")
