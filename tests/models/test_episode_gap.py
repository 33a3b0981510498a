"""An alert and a finding of its kind separated by no more normal hours than an episode bridges are one alert."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.db.tables import AlertRecord
from models.alerts import AlertBook
from models.residual import DEFAULT_MAX_GAP_HOURS
from simulators import build_portfolio
from tests.models.simulated import registry
from tests.models.test_alert_creep import HOUR, T0, finding


def _stored(tmp_path: Path, kind: str, passes) -> list[AlertRecord]:
    """The alerts after each pass ``(now, [(start, end, ongoing), ...])`` stored its findings of ``kind`` on one meter."""
    portfolio = build_portfolio(1, 7)
    site = portfolio.sites[0]
    meter = portfolio.meters[site.site_id][0].meter_id
    sessions = registry(tmp_path, portfolio)
    for now, spans in passes:
        found = [finding(site.site_id, meter, kind, lo, hi, ongoing=ongoing) for lo, hi, ongoing in spans]
        with sessions.begin() as session:
            AlertBook(session, site.site_id, wall_now=0).store(found, scored_meters=[meter], scan_start=T0, data_end=now)
    with sessions() as session:
        return list(session.scalars(select(AlertRecord)))


def test_a_finding_re_scored_to_start_a_bridged_gap_later_continues_the_alert(tmp_path: Path) -> None:
    # A lift idling from 16:00 was alerted at 18:00; the next pass re-scored 16:00-17:00 as normal and
    # found the night from 20:00. The residual detector bridges two normal hours inside an episode,
    # so this is the same episode: a second alert, which then took the episode in turns with the
    # first, was a false alert on one event (realistic seed 65537).
    gap = DEFAULT_MAX_GAP_HOURS * HOUR
    first = (T0 + 16 * HOUR, T0 + 18 * HOUR, True)
    later = (T0 + 18 * HOUR + gap, T0 + 24 * HOUR, True)
    rows = _stored(tmp_path, "elevator_idle", [(T0 + 18 * HOUR, [first]), (T0 + 24 * HOUR, [later])])
    assert len(rows) == 1 and rows[0].ended_at == T0 + 24 * HOUR and rows[0].ongoing


def test_a_past_episode_re_scored_in_two_pieces_keeps_its_one_alert(tmp_path: Path) -> None:
    # A landscape light on 07:00-14:00 was alerted and closed; a later pass, on a refitted baseline,
    # found it as 07:00-08:00 and 11:00-14:00. The second piece is the same waste, already told:
    # it opened a second alert (realistic seed 48611).
    whole = (T0 + 7 * HOUR, T0 + 14 * HOUR, False)
    head, tail = (T0 + 7 * HOUR, T0 + 8 * HOUR, False), (T0 + 11 * HOUR, T0 + 14 * HOUR, False)
    rows = _stored(tmp_path, "lights_daylight", [(T0 + 18 * HOUR, [whole]), (T0 + 72 * HOUR, [head, tail])])
    assert len(rows) == 1 and (rows[0].started_at, rows[0].ended_at) == (T0 + 7 * HOUR, T0 + 14 * HOUR)
