"""The simulator may announce each site's opening hours (off by default): the hours in force at the
start, left stale by a later change, as a real manager's declaration would be."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from core.domain import DeclaredHours, SiteType
from core.wire import decode, encode_meta, meta_topic
from kilowatch.evaluation.world import build_world
from simulators import build_portfolio
from simulators.declared import announced_site
from simulators.realism import Realism, random_hours
from simulators.schedules import OPENING_HOURS
from tests.simulators.common import DAY, JUNE_1

PORTFOLIO = build_portfolio(6, seed=3)


def test_a_classic_site_declares_its_type_hours():
    office = next(s for s in PORTFOLIO.sites if s.site_type is SiteType.OFFICE)
    table = OPENING_HOURS[SiteType.OFFICE]
    assert announced_site(office).opening_hours == DeclaredHours(table["workday"], table["weekend"])


def test_a_realistic_site_declares_the_hours_it_has_at_the_start_and_keeps_them_after_a_change():
    hours = random_hours(PORTFOLIO.sites, seed=5, change_between=(JUNE_1 + 7 * DAY, JUNE_1 + 14 * DAY))
    site = PORTFOLIO.sites[0]
    first, after = hours[site.site_id].at(JUNE_1), hours[site.site_id].at(JUNE_1 + 20 * DAY)
    assert first != after

    declared = announced_site(site, Realism(hours=hours), JUNE_1).opening_hours

    assert declared == DeclaredHours(first["workday"], first["weekend"])


def test_the_announcement_carries_hours_the_decoder_accepts():
    hours = random_hours(PORTFOLIO.sites, seed=5, change_between=None)
    for site in PORTFOLIO.sites:  # drawn on half hours, every type
        announced = announced_site(site, Realism(hours=hours), JUNE_1)
        out = decode(meta_topic(site.site_id), encode_meta(announced, PORTFOLIO.meters[site.site_id]))
        assert not out.rejections and out.meta[0].opening_hours == announced.opening_hours


def test_by_default_a_site_declares_none():
    assert (
        "opening_hours" not in json.loads(encode_meta(PORTFOLIO.sites[0], PORTFOLIO.meters[PORTFOLIO.sites[0].site_id]))["site"]
    )


def test_the_evaluation_world_registers_declared_hours_only_when_asked(tmp_path):
    from core.db.registry import load_sites

    start = datetime(2025, 6, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    options = dict(seed=3, sites=1, weeks=0.5, history_days=7, mix={}, start=start, scenario="realistic")
    plain = build_world(tmp_path / "plain", **options)
    declared = build_world(tmp_path / "declared", declare_hours=True, **options)

    with plain.sessions() as session:
        assert all(s.opening_hours is None for s in load_sites(session).values())
    with declared.sessions() as session:
        [site] = load_sites(session).values()
    first = declared.realism.hours[site.site_id].at(declared.start)
    assert site.opening_hours == DeclaredHours(first["workday"], first["weekend"])
