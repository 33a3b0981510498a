"""One meter's own edge moved by an hour, day after day, is its new normal; its waste is not."""

from __future__ import annotations

import numpy as np

from core.domain import Meter, MeterCategory
from models.meter_edges import CONFIRM_DAYS, learn_edges, place

DAYS = 28


def residential(hvac_span, *, lobby_span=(6, 23), hvac_nights=()):
    """A residential site open every day: public HVAC, lobby lights and a lift, on 1 while up, 0.1
    otherwise, 3 % noise. ``hvac_span(d)``: the HVAC's span on day d; ``hvac_nights``: days it is
    left on all night (waste)."""
    rng = np.random.default_rng(1)
    hours = 3600 * np.arange(24 * DAYS)
    local = np.tile(np.arange(24), DAYS)
    workday = np.repeat([(d % 7) < 5 for d in range(DAYS)], 24)
    meters = [
        Meter(f"m{i}", "s", c, 10.0)
        for i, c in enumerate((MeterCategory.PUBLIC_HVAC, MeterCategory.LOBBY_LIGHTING, MeterCategory.ELEVATOR))
    ]
    kwh = np.zeros((hours.size, 3))
    up = lambda span: ((np.arange(24) >= span[0]) & (np.arange(24) < span[1])).astype(float)  # noqa: E731
    for d in range(DAYS):
        rows = slice(24 * d, 24 * d + 24)
        kwh[rows, 0] = 0.1 + 0.9 * up(hvac_span(d))
        kwh[rows, 1] = kwh[rows, 2] = 0.1 + 0.9 * up(lobby_span)
    for d in hvac_nights:
        kwh[24 * d + 22 : 24 * d + 30, 0] = 1.0  # 22:00 to 06:00 the next morning
    kwh *= 1 + 0.03 * rng.standard_normal(kwh.shape)
    return hours, kwh, meters, local, workday


def learnt(hvac_span, **kw):
    hours, kwh, meters, local, workday = residential(hvac_span, **kw)
    moves = learn_edges(hours, kwh, meters, local, workday, every_day=True)
    return moves, place(moves, hours, local, workday, len(meters))


def test_one_meters_hour_earlier_and_later_for_good_is_its_new_normal() -> None:
    # Session 6's schedule change, seed 7: a residential site's public HVAC went from 6-23 to 5-24
    # with the new declared hours while its lobby and lifts did not move; its baseline called
    # 23:00 and 05:00 waste eight days on.
    moves, edges = learnt(lambda d: (6, 23) if d < 14 else (5, 24))
    assert [(m.meter, m.before, m.after, m.start_ts) for m in moves] == [(0, (6, 23), (5, 24), 14 * 86400)]
    assert moves[0].believed_ts == (14 + CONFIRM_DAYS) * 86400
    assert edges.moved[24 * 15 + 23, 0] and edges.moved[24 * 15 + 5, 0]
    assert not edges.moved[24 * 15 + 12, 0] and not edges.moved[24 * 10 + 23, 0] and not edges.moved[:, 1:].any()
    assert edges.superseded[24 * 10 + 23, 0] and not edges.superseded[24 * 15 + 23, 0]
    (finding,) = edges.warnings("s", residential(lambda d: (6, 23))[2])
    assert finding.code == "schedule_changed" and finding.meter_id == "m0" and finding.data["after"] == [5, 24]


def test_a_moved_edge_on_too_few_days_is_not_believed() -> None:
    moves, _ = learnt(lambda d: (5, 24) if d in range(14, 14 + CONFIRM_DAYS - 1) else (6, 23))
    assert moves == []


def test_hvac_left_on_through_the_night_is_waste_not_a_new_edge() -> None:
    moves, _ = learnt(lambda d: (6, 23), hvac_nights=range(14, 20))
    assert moves == []


def test_a_move_of_several_hours_is_not_one_meters_edge() -> None:
    moves, _ = learnt(lambda d: (6, 23) if d < 14 else (3, 23))
    assert moves == []


def test_a_residential_hvac_on_new_hours_alerts_no_later_than_three_days_after(tmp_path) -> None:
    # The whole pass: a residential site's public HVAC goes from 6-23 to 5-24 on day 30 while its
    # lobby lights and lift keep 6-23 (no site change to learn). Session 6 alerted it at 23:00
    # and 05:00 eight days on; now its edge is its normal from the fourth day, and a finding says so.
    from sqlalchemy import select

    from core.db.registry import upsert_site
    from core.db.session import create_db_engine, migrate, session_factory
    from core.db.tables import AlertRecord, DataFindingRecord
    from core.domain import EnergyPoint, Site, SiteType
    from core.settings import CarbonSettings, DetectSettings
    from core.store.embedded import EmbeddedStore
    from models.detection import DetectionPass
    from tests.models.synthetic import MONDAY

    days, change = 38, 30
    site = Site("site-r", "住宅", SiteType.RESIDENTIAL, "上海", "上海", 31.23, 121.47)
    meters = [
        Meter(f"site-r-{c.value}", site.site_id, c, 10.0)
        for c in (MeterCategory.PUBLIC_HVAC, MeterCategory.LOBBY_LIGHTING, MeterCategory.ELEVATOR)
    ]
    rng = np.random.default_rng(5)
    shape = 4.0 + 3.0 * np.sin(np.pi * np.arange(24) / 24)  # a cooling afternoon
    store = EmbeddedStore(tmp_path / "series.sqlite")
    register = np.zeros(len(meters))
    points = []
    for d in range(days):
        for h in range(24):
            hvac = (5, 24) if d >= change else (6, 23)
            kwh = np.array(
                [
                    shape[h] if hvac[0] <= h < hvac[1] else 0.05,
                    3.0 if 6 <= h < 23 else 0.3,
                    2.0 if 6 <= h < 23 else 0.2,
                ]
            ) * (1 + 0.03 * rng.standard_normal(len(meters)))
            ts = MONDAY + (d * 24 + h + 1) * 3600
            for j, m in enumerate(meters):
                register[j] += kwh[j]
                points.append(EnergyPoint(site.site_id, m.meter_id, m.category.value, ts, float(register[j]), float(kwh[j])))
    store.write(points)
    engine = create_db_engine(f"sqlite:///{tmp_path / 'kilowatch.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        upsert_site(session, site, meters)
    detector = DetectionPass(store, sessions, DetectSettings(fit_budget_s=None), CarbonSettings())
    for now in range(MONDAY + 29 * 86400, MONDAY + days * 86400 + 1, 6 * 3600):
        detector.run(now=now)
    with sessions() as session:
        alerts = [a for a in session.scalars(select(AlertRecord)) if a.meter_id == meters[0].meter_id]
        found = [f for f in session.scalars(select(DataFindingRecord)) if f.kind == "schedule_changed"]
    late = [a for a in alerts if a.started_at >= MONDAY + (change + 3) * 86400]
    assert late == [], [(a.kind, (a.started_at - MONDAY) / 3600) for a in late]
    # One finding tells the manager, from the change's first day: on the meter, or on the whole
    # site ("") where the door followers' vote (one per category, a tie the wider span: here the
    # HVAC against the lobby lights) already moved the site's span and the meter's move is the site's.
    assert [f.started_at for f in found] == [MONDAY + change * 86400]
    assert found[0].meter_id in (meters[0].meter_id, "")


def test_a_move_the_sites_own_change_explains_is_not_the_meters() -> None:
    # An office closing an hour later for good: the site's change turns 19:00, and its HVAC's
    # own span moved with it; one schedule_changed finding (the site's), not a second one on the meter.
    from types import SimpleNamespace

    from models.features import WORKDAY_COL
    from models.opening import LearnedHours, learn
    from models.scoring import SiteScanner
    from tests.models.test_opening import PRIOR, site

    ts, kwh, meters, hour, ordinal, workday = site(lambda d: (8, 19) if d < 14 else (8, 20))
    X = np.zeros((ts.size, 4))
    X[:, WORKDAY_COL] = workday
    scanner = SimpleNamespace(_edges={})
    learned = learn(PRIOR, ts, kwh, meters, hour, ordinal, workday)
    assert learned.changes and SiteScanner._meter_edges(scanner, "s", meters, ts, kwh, X, hour, learned).moves == []
    # The same load with no site change learnt (as if its other followers had not moved): the meter's own.
    alone = SiteScanner._meter_edges(SimpleNamespace(_edges={}), "s", meters, ts, kwh, X, hour, LearnedHours(PRIOR))
    assert [(m.meter, m.before, m.after) for m in alone.moves] == [(0, (8, 19), (8, 20))]


def test_a_meter_whose_edge_moved_is_up_there_with_the_other_followers() -> None:
    # 8:00-19:00 learnt; at 19:00 the HVAC's own later edge is learnt (its score is low now) and the
    # lobby lights are up: together they are the site open later, not the lights' waste.
    from models.meter_edges import up_on_moved_edges
    from models.together import open_together

    open_ = np.array([0] * 8 + [1] * 11 + [0] * 5, dtype=float)
    scores = np.zeros((24, 3))
    scores[19, 1] = 10.0
    moved = np.zeros((24, 3), dtype=bool)
    moved[19, 0] = True
    followers = np.array([True, True, False])
    assert not open_together(scores, followers, open_)[19]
    assert open_together(up_on_moved_edges(scores, moved), followers, open_)[19]
