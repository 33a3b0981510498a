"""The detector's prior for a site's opening hours: what the site declares, else one generic
window that owes nothing to the simulator's table (models.opening corrects either from the load)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.domain import DeclaredHours, Site, SiteType
from models.features import OPEN_COL, hour_features
from models.schedule import GENERIC_WINDOW, OpeningHours, opening_hours

OFFICE = Site("sh-o", "陆家嘴写字楼", SiteType.OFFICE, "上海", "上海", 31.24, 121.50)
#: Monday 9 June 2025, 00:00 Asia/Shanghai (a working week: the 2nd was the Dragon Boat holiday).
MONDAY = 1749398400
WEEK = MONDAY + 3600 * np.arange(7 * 24)


def test_declared_hours_are_the_prior():
    declared = dataclasses.replace(OFFICE, opening_hours=DeclaredHours((7.0, 21.0), (9.0, 17.0)))
    assert opening_hours(declared) == OpeningHours((7, 21), (9, 17))


def test_an_hour_open_for_half_of_it_counts_as_open():
    declared = dataclasses.replace(OFFICE, opening_hours=DeclaredHours((9.5, 21.5), None))
    assert opening_hours(declared) == OpeningHours((9, 22), None)


@pytest.mark.parametrize(
    ("site_type", "open_on_days_off"),
    [(SiteType.OFFICE, False), (SiteType.INDUSTRIAL, False), (SiteType.MALL, True), (SiteType.RESIDENTIAL, True)],
)
def test_without_declared_hours_every_type_has_the_same_generic_window(site_type, open_on_days_off):
    prior = opening_hours(dataclasses.replace(OFFICE, site_type=site_type))
    assert prior.workday == GENERIC_WINDOW
    assert prior.other == (GENERIC_WINDOW if open_on_days_off else None)


def test_the_open_feature_follows_the_declared_hours():
    declared = dataclasses.replace(OFFICE, opening_hours=DeclaredHours((6.0, 23.0), (10.0, 16.0)))

    open_col = hour_features(WEEK, declared)[:, OPEN_COL].reshape(7, 24)

    assert open_col[0, 6] == 1.0 and open_col[0, 22] == 1.0 and open_col[0, 5] == 0.0 and open_col[0, 23] == 0.0
    assert open_col[5, 10] == 1.0 and open_col[5, 16] == 0.0  # Saturday: the other days' window


def test_a_site_that_declares_nothing_differs_only_by_its_declaration():
    declared = dataclasses.replace(OFFICE, opening_hours=DeclaredHours((6.0, 23.0), None))
    assert not np.array_equal(hour_features(WEEK, OFFICE)[:, OPEN_COL], hour_features(WEEK, declared)[:, OPEN_COL])
