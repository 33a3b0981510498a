"""The category table (core) says which waste checks apply; it must agree with what the detector (models) does."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from core.categories import CATEGORIES, GAS_CATEGORIES, GENERATION_CATEGORIES, MeterCategory, unit_of
from core.waste import WasteKind
from models.kinds import NOT_JUDGED, WASTE_KINDS, hour_kinds, is_scored
from models.scoring import CREEP_CATEGORIES


def _kinds_the_detector_names(category: MeterCategory) -> set[str]:
    """Every kind hour_kinds gives over all hours of day, daylight and open states, plus creep."""
    cases = list(itertools.product(range(24), (0.0, 1.0), (0.0, 1.0)))
    hours, daylight, open_ = (np.array(column) for column in zip(*cases, strict=True))
    kinds = set(hour_kinds(category, local_hours=hours, daylight=daylight, open_=open_).tolist()) - {NOT_JUDGED}
    if category.value in CREEP_CATEGORIES:
        kinds.add(WasteKind.BASE_LOAD_CREEP)
    return kinds if is_scored(category) else set()


@pytest.mark.parametrize("category", list(MeterCategory), ids=lambda c: c.value)
def test_the_checks_of_a_category_are_those_the_detector_can_name(category):
    assert set(CATEGORIES[category].checks) == _kinds_the_detector_names(category)


def test_the_waste_kinds_are_the_detectors():
    assert {kind.value for kind in WasteKind} == set(WASTE_KINDS)


def test_scored_gas_and_generation_follow_the_table():
    assert {c for c, row in CATEGORIES.items() if not row.scored} == GAS_CATEGORIES | GENERATION_CATEGORIES
    assert all(is_scored(c) == CATEGORIES[c].scored for c in MeterCategory)
    assert unit_of(MeterCategory.GAS) == "m3" and unit_of("a_category_from_a_newer_gateway") == "kWh"
