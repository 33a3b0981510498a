"""Line protocol encoding and the quoting of InfluxQL and Flux string literals."""

from __future__ import annotations

import pytest

from core.store import StoreRejected
from core.store.influx_v1 import influxql_ident, influxql_string
from core.store.influx_v2 import flux_string
from core.store.line_protocol import encode
from tests.store.points import pt


def test_a_point_becomes_one_line_with_tags_float_fields_and_seconds() -> None:
    assert (
        encode(pt("m1", 1772409600, 12.0, 0.5)) == "energy,site=s1,meter=m1,category=elevator register=12.0,energy=0.5 1772409600"
    )


def test_commas_spaces_and_equals_signs_in_tags_are_escaped() -> None:
    line = encode(pt("a,b c=d", 1, site="万科 1"))
    assert line.startswith(r"energy,site=万科\ 1,meter=a\,b\ c\=d,")


def test_quotes_in_tags_are_kept_as_they_are() -> None:
    assert ',meter=it\'s"q",' in encode(pt('it\'s"q"', 1))


def test_an_empty_category_is_left_out_rather_than_sent_empty() -> None:
    assert "category" not in encode(pt("m1", 1, category=""))


@pytest.mark.parametrize("bad", ["tail\\", "a\\b", "two\nlines", "tab\there"])
def test_ids_line_protocol_cannot_carry_are_rejected(bad: str) -> None:
    with pytest.raises(StoreRejected):
        encode(pt(bad, 1))


def test_a_point_without_a_site_is_rejected() -> None:
    with pytest.raises(StoreRejected):
        encode(pt("m1", 1, site=""))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_values_are_rejected(value: float) -> None:
    with pytest.raises(StoreRejected):
        encode(pt("m1", 1, energy=value))


def test_floats_are_written_so_they_read_back_exactly() -> None:
    assert "register=0.30000000000000004," in encode(pt("m1", 1, register=0.1 + 0.2))


def test_influxql_strings_escape_quotes_and_backslashes() -> None:
    assert influxql_string("x\\' OR '1'='1") == r"'x\\\' OR \'1\'=\'1'"


def test_influxql_identifiers_escape_double_quotes() -> None:
    assert influxql_ident('my"db') == r'"my\"db"'


def test_flux_strings_escape_quotes_backslashes_and_interpolation() -> None:
    assert flux_string('a"b\\c${x}\n') == r'"a\"b\\c\${x}\n"'


def test_encoding_many_points_writes_each_line_as_encoding_one_does() -> None:
    from core.store.line_protocol import ENERGY_TEXTS_MAX, encode_all

    tricky = [
        pt("m1", 1, 12, 0),  # integers: written as floats
        pt("m1", 2, 0.1 + 0.2, -0.0),  # float noise kept; -0.0 is not 0.0
        pt("m1", 3, 1e308, 0.0),
        pt("m1", 4, 5e-324, 1e-7),
        pt("a,b c=d", 5, 1234.567, 0.25, site="万科 1", category=""),
        pt("m2", 6, 1.0, 0.25, site="s=2"),  # the same energy again, another series
        pt("m2", 7, 2.0, 0.3),
        pt("m2", 8, 3.0, 0.30000000000000004),  # the same text up to the last digit, not the same float
        *(pt("m3", 10 + i, 1.0 + i, i / 7) for i in range(ENERGY_TEXTS_MAX + 10)),  # more energies than are kept
        pt("m3", 99_999, 1.0, 0.25),
    ]

    assert encode_all(tricky) == [encode(p) for p in tricky]
    assert encode_all(tricky) == [encode(p) for p in tricky]  # with the energies' texts kept from the first time


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_many_points_are_refused_whole_for_one_non_finite_value(bad: float) -> None:
    from core.store.line_protocol import encode_all

    for point in (pt("m1", 2, register=bad), pt("m1", 2, energy=bad)):
        with pytest.raises(StoreRejected, match="not a finite number"):
            encode_all([pt("m1", 1), point])
