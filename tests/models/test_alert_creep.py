"""A creep alert owns its meter's excess: once the creep is fixed, re-scoring its days finds the same
excess night by night, which must not become new alerts nor rename the creep's."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from core.db.tables import AlertEventRecord, AlertRecord
from core.domain import MeterCategory
from models.alerts import AlertBook
from models.episodes import WasteEpisode
from models.explain import ChartPoint, Explanation
from simulators import build_portfolio
from tests.models.simulated import registry

HOUR, DAY = 3600, 86400
T0 = 1_750_000_000 // HOUR * HOUR


def finding(site_id: str, meter_id: str, kind: str, start: int, end: int, *, ongoing: bool) -> WasteEpisode:
    return WasteEpisode(
        site_id,
        meter_id,
        "public_hvac",
        kind,
        kind,
        "low",
        start,
        end,
        start + HOUR,
        ongoing,
        10.0,
        5.0,
        5.0,
        1.0,
        2.0,
        0.5,
        "test",
        Explanation(MeterCategory.PUBLIC_HVAC, "", kind, kind, start, end, 10.0, 5.0, 1.0, 1, ongoing),
        (),
    )


def open_creep(tmp_path: Path, days: int, scan_start: int):
    """A registry whose one meter has an ongoing creep alert from T0 over ``days`` days."""
    portfolio = build_portfolio(1, 7)
    site = portfolio.sites[0]
    meter = portfolio.meters[site.site_id][0].meter_id
    sessions = registry(tmp_path, portfolio)
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(
            [finding(site.site_id, meter, "base_load_creep", T0, T0 + days * DAY, ongoing=True)],
            scored_meters=[meter],
            scan_start=scan_start,
            data_end=T0 + days * DAY,
        )
    return sessions, site, meter


def test_nightly_excess_inside_a_closed_creep_is_not_a_new_alert(tmp_path: Path) -> None:
    sessions, site, meter = open_creep(tmp_path, days=5, scan_start=T0 + 3 * DAY)
    nights = [
        finding(site.site_id, meter, "hvac_after_hours", T0 + d * DAY + 20 * HOUR, T0 + d * DAY + 30 * HOUR, ongoing=False)
        for d in range(1, 5)
    ]
    after = finding(site.site_id, meter, "hvac_after_hours", T0 + 6 * DAY, T0 + 6 * DAY + 6 * HOUR, ongoing=False)
    with sessions.begin() as session:
        counts = AlertBook(session, site.site_id, wall_now=0).store(
            [*nights, after], scored_meters=[meter], scan_start=T0 + 4 * DAY, data_end=T0 + 7 * DAY
        )
    with sessions() as session:
        rows = {(r.kind, r.started_at, r.ongoing) for r in session.scalars(select(AlertRecord))}
    # The creep is closed with its own kind and start; only the night after it is new.
    assert rows == {("base_load_creep", T0, False), ("hvac_after_hours", T0 + 6 * DAY, False)}
    assert counts.opened == 1 and counts.closed >= 1


def test_a_creep_seen_for_a_day_or_two_yields_to_what_rescoring_finds(tmp_path: Path) -> None:
    sessions, site, meter = open_creep(tmp_path, days=2, scan_start=T0)
    nights = [
        finding(site.site_id, meter, "pump_night", T0 + d * DAY + 20 * HOUR, T0 + d * DAY + 26 * HOUR, ongoing=False)
        for d in range(2)
    ]
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(nights, scored_meters=[meter], scan_start=T0, data_end=T0 + 3 * DAY)
    with sessions() as session:
        kinds = sorted(r.kind for r in session.scalars(select(AlertRecord)))
    assert kinds == ["pump_night", "pump_night"]


def test_a_creep_alert_keeps_the_time_it_was_first_detected(tmp_path: Path) -> None:
    # Every pass judges a creep at the end of its data, so each finding says "detected now".
    portfolio = build_portfolio(1, 7)
    site = portfolio.sites[0]
    meter = portfolio.meters[site.site_id][0].meter_id
    sessions = registry(tmp_path, portfolio)
    for day in (3, 4):
        seen = finding(site.site_id, meter, "base_load_creep", T0, T0 + day * DAY, ongoing=True)
        seen = replace(seen, detected_at=T0 + day * DAY)
        with sessions.begin() as session:
            AlertBook(session, site.site_id, wall_now=0).store(
                [seen], scored_meters=[meter], scan_start=T0 + (day - 2) * DAY, data_end=T0 + day * DAY
            )
    with sessions() as session:
        [row] = session.scalars(select(AlertRecord))
    assert row.ended_at == T0 + 4 * DAY  # the numbers are the newest pass's
    assert row.detected_at == T0 + 3 * DAY


def test_a_night_alerted_before_the_creep_was_found_is_merged_into_it(tmp_path: Path) -> None:
    portfolio = build_portfolio(1, 7)
    site = portfolio.sites[0]
    meter = portfolio.meters[site.site_id][0].meter_id
    sessions = registry(tmp_path, portfolio)
    night = finding(site.site_id, meter, "compressed_air_leak", T0 + 2 * DAY, T0 + 2 * DAY + 10 * HOUR, ongoing=False)
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(
            [night], scored_meters=[meter], scan_start=T0 + 2 * DAY, data_end=T0 + 3 * DAY
        )
    # Found as a creep that starts after the night, then, as the data grows, from before it.
    for start, days, expected in (
        (2 * DAY + 12 * HOUR, 5, ["base_load_creep", "compressed_air_leak"]),
        (0, 6, ["base_load_creep"]),
        (0, 7, ["base_load_creep"]),
    ):
        with sessions.begin() as session:
            AlertBook(session, site.site_id, wall_now=0).store(
                [finding(site.site_id, meter, "base_load_creep", T0 + start, T0 + days * DAY, ongoing=True)],
                scored_meters=[meter],
                scan_start=T0 + (days - 2) * DAY,
                data_end=T0 + days * DAY,
            )
        with sessions() as session:
            assert sorted(r.kind for r in session.scalars(select(AlertRecord))) == expected
    with sessions() as session:
        merged = [
            json.loads(e.detail) for e in session.scalars(select(AlertEventRecord).where(AlertEventRecord.action == "merged"))
        ]
        spans = sorted((r.started_at, r.ended_at) for r in session.scalars(select(AlertRecord)))
    # The creep's own alert goes on and names the night it took in; the night's alert is gone.
    assert [(m["kind"], m["started_at"], m["ended_at"]) for m in merged] == [
        ("compressed_air_leak", night.started_at, night.ended_at)
    ]
    assert spans == [(T0, T0 + 7 * DAY)]


def test_a_creep_longer_than_the_window_keeps_its_start_and_adds_its_new_hours(tmp_path: Path) -> None:
    # The window (28 days) slid past the creep's start: the new finding starts later and
    # holds only the window's excess; the alert must not drop its first days.
    portfolio = build_portfolio(1, 7)
    site = portfolio.sites[0]
    meter = portfolio.meters[site.site_id][0].meter_id
    sessions = registry(tmp_path, portfolio)
    first = finding(site.site_id, meter, "base_load_creep", T0, T0 + 30 * DAY, ongoing=True)
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(
            [first], scored_meters=[meter], scan_start=T0 + 28 * DAY, data_end=T0 + 30 * DAY
        )
    end = T0 + 30 * DAY + 6 * HOUR
    hours = range(T0 + 29 * DAY, end, HOUR)
    series = tuple(ChartPoint(h, 3.0, 1.0) for h in hours)
    told = Explanation(
        category=MeterCategory.PUBLIC_HVAC,
        meter_name="公共区域空调1",
        kind="base_load_creep",
        check="base_load_creep",
        started_at=T0 + 3 * DAY,
        ended_at=end,
        actual_kwh=900.0,
        expected_kwh=500.0,
        cost_cny=300.0,
        excess_hours=27 * 24,
        ongoing=True,
        series=series,
    )
    later = replace(
        finding(site.site_id, meter, "base_load_creep", T0 + 3 * DAY, end, ongoing=True), wasted_kwh=400.0, explanation=told
    )
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0, window_start=end - 28 * DAY).store(
            [later], scored_meters=[meter], scan_start=T0 + 29 * DAY, data_end=end
        )
    with sessions() as session:
        [row] = session.scalars(select(AlertRecord))
    assert (row.started_at, row.ended_at) == (T0, end)
    assert row.wasted_kwh == first.wasted_kwh + 6 * 2.0  # six new hours, 2 kWh over each
    assert row.actual_kwh == first.actual_kwh + 6 * 3.0
    # The explanation tells the whole creep, from its own start, with the alert's numbers.
    told = json.loads(row.explanation)
    since = datetime.fromtimestamp(T0, tz=timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    assert (told["since"], told["actual_kwh"], told["expected_kwh"]) == (since, row.actual_kwh, row.expected_kwh)
    assert f"from {since}" in told["text_en"] and f"{row.actual_kwh:.1f} kWh" in told["text_en"]
    assert f"{since}至" in told["text_zh"]


def test_a_creep_inside_the_window_is_rescored_whole(tmp_path: Path) -> None:
    portfolio = build_portfolio(1, 7)
    site = portfolio.sites[0]
    meter = portfolio.meters[site.site_id][0].meter_id
    sessions = registry(tmp_path, portfolio)
    for start, days in ((0, 10), (2 * DAY, 11)):  # the second pass sees the creep begin later
        with sessions.begin() as session:
            AlertBook(session, site.site_id, wall_now=0, window_start=T0 - 10 * DAY).store(
                [finding(site.site_id, meter, "base_load_creep", T0 + start, T0 + days * DAY, ongoing=True)],
                scored_meters=[meter],
                scan_start=T0 + (days - 2) * DAY,
                data_end=T0 + days * DAY,
            )
    with sessions() as session:
        [row] = session.scalars(select(AlertRecord))
    assert row.started_at == T0 + 2 * DAY


def test_a_creep_that_begins_as_the_last_one_is_fixed_is_a_new_alert(tmp_path: Path) -> None:
    # A fixed creep is followed until its last two days drop, a day past the fix; a new creep
    # beginning right after it overlaps that day and must not take over the old alert.
    sessions, site, meter = open_creep(tmp_path, days=10, scan_start=T0 + 8 * DAY)
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(
            [], scored_meters=[meter], scan_start=T0 + 9 * DAY, data_end=T0 + 11 * DAY
        )
    later = finding(site.site_id, meter, "base_load_creep", T0 + 9 * DAY + 12 * HOUR, T0 + 16 * DAY, ongoing=True)
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(
            [later], scored_meters=[meter], scan_start=T0 + 14 * DAY, data_end=T0 + 16 * DAY
        )
    with sessions() as session:
        spans = sorted((r.started_at, r.ended_at, r.ongoing) for r in session.scalars(select(AlertRecord)))
    assert spans == [(T0, T0 + 10 * DAY, False), (later.started_at, later.ended_at, True)]


def test_a_short_closed_creep_seen_again_from_its_start_is_the_same_alert(tmp_path: Path) -> None:
    sessions, site, meter = open_creep(tmp_path, days=1, scan_start=T0)
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store([], scored_meters=[meter], scan_start=T0 + DAY, data_end=T0 + 2 * DAY)
    again = finding(site.site_id, meter, "base_load_creep", T0, T0 + 3 * DAY, ongoing=True)
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(
            [again], scored_meters=[meter], scan_start=T0 + DAY, data_end=T0 + 3 * DAY
        )
    with sessions() as session:
        spans = [(r.started_at, r.ended_at, r.ongoing) for r in session.scalars(select(AlertRecord))]
    assert spans == [(T0, T0 + 3 * DAY, True)]


def test_a_creep_coming_back_after_its_alert_was_resolved_reopens_it(tmp_path: Path) -> None:
    sessions, site, meter = open_creep(tmp_path, days=10, scan_start=T0 + 8 * DAY)
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(
            [], scored_meters=[meter], scan_start=T0 + 9 * DAY, data_end=T0 + 11 * DAY
        )
        row = session.scalars(select(AlertRecord)).one()
        row.status, row.resolved_at = "resolved", T0 + 10 * DAY
    back = finding(site.site_id, meter, "base_load_creep", T0 + 10 * DAY + 12 * HOUR, T0 + 11 * DAY, ongoing=True)
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(
            [back], scored_meters=[meter], scan_start=T0 + 10 * DAY, data_end=T0 + 11 * DAY
        )
    with sessions() as session:
        (row,) = session.scalars(select(AlertRecord))
        assert (row.status, row.verification, row.reopened) == ("open", "failed", 1)


def test_a_creep_moved_to_the_start_of_a_night_it_absorbs_merges_that_night(tmp_path: Path) -> None:
    """The creep found from the first night on takes that start and the night's alert with it."""
    sessions, site, meter = open_creep(tmp_path, days=8, scan_start=T0)
    with sessions.begin() as session:
        row = session.scalars(select(AlertRecord)).one()
        row.started_at = T0 + 2 * DAY  # the creep as first found, two days into its climb
        night = finding(site.site_id, meter, "hvac_after_hours", T0, T0 + 12 * HOUR, ongoing=False)
        AlertBook(session, site.site_id, wall_now=0).store([night], scored_meters=[], scan_start=T0, data_end=T0 + 8 * DAY)
    whole = finding(site.site_id, meter, "base_load_creep", T0, T0 + 9 * DAY, ongoing=True)
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(
            [whole], scored_meters=[meter], scan_start=T0 + 7 * DAY, data_end=T0 + 9 * DAY
        )
    with sessions() as session:
        rows = sorted((r.kind, r.started_at) for r in session.scalars(select(AlertRecord)))
    assert rows == [("base_load_creep", T0)]


def test_a_creep_found_later_does_not_take_over_a_night_alert_of_another_kind(tmp_path: Path) -> None:
    """The night was alerted as after-hours HVAC when it happened; a creep found days later from
    before it is a different finding: its own alert, with its own detection time."""
    portfolio = build_portfolio(1, 7)
    site = portfolio.sites[0]
    meter = portfolio.meters[site.site_id][0].meter_id
    sessions = registry(tmp_path, portfolio)
    night = replace(
        finding(site.site_id, meter, "hvac_after_hours", T0 + DAY + 20 * HOUR, T0 + 2 * DAY + 4 * HOUR, ongoing=False),
        detected_at=T0 + DAY + 22 * HOUR,
    )
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(
            [night], scored_meters=[meter], scan_start=T0 + DAY, data_end=T0 + 2 * DAY + 6 * HOUR
        )
    creep = replace(
        finding(site.site_id, meter, "base_load_creep", T0, T0 + 3 * DAY, ongoing=True),
        detected_at=T0 + 3 * DAY,
    )
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(
            [creep], scored_meters=[meter], scan_start=T0 + DAY, data_end=T0 + 3 * DAY
        )
    with sessions() as session:
        rows = {r.kind: (r.started_at, r.detected_at) for r in session.scalars(select(AlertRecord))}
    assert rows == {"hvac_after_hours": (night.started_at, night.detected_at), "base_load_creep": (T0, creep.detected_at)}


def test_a_night_a_creep_absorbed_never_continues_as_a_second_creep(tmp_path: Path) -> None:
    """A night a creep absorbed is merged into the creep's alert, and a creep re-found from that
    night's start continues the creep's alert: one creep, its energy counted once."""
    portfolio = build_portfolio(1, 7)
    site = portfolio.sites[0]
    meter = portfolio.meters[site.site_id][0].meter_id
    sessions = registry(tmp_path, portfolio)
    night = finding(site.site_id, meter, "hvac_after_hours", T0 + 2 * DAY + 20 * HOUR, T0 + 3 * DAY + 6 * HOUR, ongoing=False)
    # The night is alerted; the creep is found after it, then from before it, and absorbs it.
    passes = [
        ([night], 3 * DAY + 8 * HOUR),
        ([finding(site.site_id, meter, "base_load_creep", T0 + 3 * DAY + 8 * HOUR, T0 + 5 * DAY, ongoing=True)], 5 * DAY),
        ([finding(site.site_id, meter, "base_load_creep", T0, T0 + 6 * DAY, ongoing=True)], 6 * DAY),
    ]
    for found, end in passes:
        with sessions.begin() as session:
            AlertBook(session, site.site_id, wall_now=0).store(
                found, scored_meters=[meter], scan_start=T0 + end - 2 * DAY, data_end=T0 + end
            )
    with sessions() as session:
        assert [r.kind for r in session.scalars(select(AlertRecord))] == ["base_load_creep"]
    refound = replace(
        finding(site.site_id, meter, "base_load_creep", night.started_at, T0 + 8 * DAY, ongoing=True), wasted_kwh=500.0
    )
    with sessions.begin() as session:
        AlertBook(session, site.site_id, wall_now=0).store(
            [refound], scored_meters=[meter], scan_start=T0 + 6 * DAY, data_end=T0 + 8 * DAY
        )
    with sessions() as session:
        rows = sorted((r.started_at, r.ended_at, r.ongoing, r.wasted_kwh) for r in session.scalars(select(AlertRecord)))
    # One creep alert, ongoing, re-measured from the new start: not a second creep beside it.
    assert rows == [(night.started_at, T0 + 8 * DAY, True, 500.0)]
