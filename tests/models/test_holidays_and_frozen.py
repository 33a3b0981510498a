"""Two days that are not a building's normal: a public holiday at an office open on weekends, and a
frozen register in hours a schedule change turned (realistic seeds 31337 and 2027)."""

from __future__ import annotations

from datetime import date

import numpy as np

from core.domain import Meter, MeterCategory, Site, SiteType
from models.bank import BaselineBank
from models.features import local_calendar, public_holidays
from models.feedback import SiteFeedback
from models.measure import SiteTerms
from models.opening import learn
from models.schedule import OpeningHours
from models.scoring import SiteScanner
from models.stuck import zero_runs
from models.tariff import Tariff

SITE = Site("site-h", "测试写字楼", SiteType.OFFICE, "上海", "上海", 31.23, 121.47)
#: 2025-05-12 00:00 Asia/Shanghai, a Monday; 05-31 to 06-02 is the Dragon Boat Festival.
MONDAY = 1_746_979_200
C = MeterCategory


def office(days: int, hours_on, seed: int = 0):
    """Hourly kWh of an office's door followers (two lobby lights, one HVAC unit): 1 when open, 0.1
    closed, 3 % noise; ``hours_on(date, workday)`` gives the day's (open, close) or None."""
    rng = np.random.default_rng(seed)
    ts = np.arange(MONDAY, MONDAY + days * 86400, 3600, dtype=np.int64)
    hour, ordinal, workday = local_calendar(ts, SITE.timezone)
    meters = [Meter(f"m{i}", SITE.site_id, c, 10.0) for i, c in enumerate((C.LOBBY_LIGHTING, C.LOBBY_LIGHTING, C.PUBLIC_HVAC))]
    on = np.zeros(ts.size)
    for d in np.unique(ordinal):
        span = hours_on(date.fromordinal(int(d)), bool(workday[ordinal == d][0]))
        if span is not None:
            on[(ordinal == d) & (hour >= span[0]) & (hour < span[1])] = 1.0
    kwh = (1.0 + 9.0 * on)[:, None] * np.ones(len(meters)) * (1 + 0.03 * rng.standard_normal((ts.size, len(meters))))
    return ts, kwh, meters, hour, ordinal, workday


def scan(ts, kwh, meters, hour, ordinal, workday, prior: OpeningHours, scan_from: int):
    learned = learn(prior, ts, kwh, meters, hour, ordinal, workday)
    scanner = SiteScanner(BaselineBank(None), multivariate=False)
    train_end = scan_from - 2 * 86400 + 6 * 3600
    return scanner.scan(
        SiteTerms(SITE, Tariff.of(1.0, None), None),
        meters,
        ts,
        kwh,
        train_end=train_end,
        score_from=np.full(len(meters), scan_from),
        feedback=SiteFeedback({}, {}),
        opening=learned,
    ), learned


def open_weekends(day: date, workday: bool):
    """Working days 8-18, weekends 10-16, public holidays closed."""
    if public_holidays(np.array([day.toordinal()]))[0]:
        return None
    return (8, 18) if workday else (10, 16)


def test_public_holidays_closed_are_no_change_of_the_weekend_hours() -> None:
    ts, kwh, meters, hour, ordinal, workday = office(29, open_weekends)
    learned = learn(OpeningHours((8, 18), (10, 16)), ts, kwh, meters, hour, ordinal, workday)
    assert learned.warnings(SITE.site_id) == []


def test_an_office_open_on_weekends_is_not_waste_on_the_weekend_after_a_festival() -> None:
    # Three closed days of the Dragon Boat Festival (05-31 to 06-02) read as the weekends closing,
    # then as the weekend after it opening again: the office's lobby lights alerted at midday on
    # both days of that weekend (06-07 and 06-08, realistic seed 31337).
    ts, kwh, meters, hour, ordinal, workday = office(29, open_weekends)
    saturday = MONDAY + 26 * 86400  # 2025-06-07
    out, _ = scan(ts, kwh, meters, hour, ordinal, workday, OpeningHours((8, 18), (10, 16)), saturday)
    assert out.findings == []


def test_a_frozen_register_in_turned_hours_is_not_taken_as_the_new_normal() -> None:
    # Closing moves from 18:00 to 20:00 on working days; on the change's second day a lobby light's
    # register freezes through the evening. Turned hours are trusted in training, and its zeros
    # made the new evening half its level: the light alerted on the evenings after (seed 2027).
    freeze_day = 17  # 2025-05-29, a Thursday; the change from the Wednesday before

    def later(day: date, workday: bool):
        if not workday:
            return None
        return (8, 20) if day.toordinal() >= date(2025, 5, 28).toordinal() else (8, 18)

    ts, kwh, meters, hour, ordinal, workday = office(28, later)
    frozen = (ts >= MONDAY + freeze_day * 86400 + 12 * 3600) & (ts < MONDAY + freeze_day * 86400 + 21 * 3600)
    kwh[frozen, 0] = 0.0
    scan_from = MONDAY + 23 * 86400  # Wednesday 06-04
    out, learned = scan(ts, kwh, meters, hour, ordinal, workday, OpeningHours((8, 18), None), scan_from)
    assert [c.after for c in learned.changes if not c.initial] == [(8, 20)]
    assert [f for f in out.findings if f.meter_id == "m0"] == []


def test_runs_of_zero_hours_are_found_per_meter() -> None:
    kwh = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(zero_runs(kwh), [[False, True], [True, True], [True, False], [False, False]])


def test_lobby_lights_up_with_the_hvac_at_an_earlier_opening_are_the_site_open_whatever_its_lifts_do() -> None:
    # An industrial park opening at 7:30 instead of 8:00 lit its lobby and ran its compressor at
    # 07:00 from the first day; with its lifts (quiet then) they were two of seven followers,
    # under the third that makes a site open, and both alerted two mornings running (seed 31337).
    def opening_at(day: date, workday: bool):
        return (8, 18) if workday else None

    ts, kwh, meters, hour, ordinal, workday = office(28, opening_at)
    lifts = [Meter(f"lift{i}", SITE.site_id, C.ELEVATOR, 10.0) for i in range(3)]
    rng = np.random.default_rng(1)
    busy = np.where(kwh[:, 2:3] > 5.0, 4.0, 1.0)  # lifts follow the people, not the doors
    kwh = np.hstack([kwh, busy * (1 + 0.03 * rng.standard_normal((ts.size, 3)))])
    kwh = np.hstack([kwh, kwh[:, 2:3]])  # a second HVAC unit, like the first
    meters = [*meters, *lifts, Meter("m3", SITE.site_id, C.PUBLIC_HVAC, 10.0)]
    day = 24  # Friday 2025-06-06: the lobby lights come on half an hour earlier
    seven = (ts >= MONDAY + day * 86400 + 7 * 3600) & (ts < MONDAY + day * 86400 + 8 * 3600)
    kwh[seven, :2] = 5.5
    out, _ = scan(ts, kwh, meters, hour, ordinal, workday, OpeningHours((8, 18), None), MONDAY + day * 86400)
    assert [f.meter_id for f in out.findings] == []


def test_lobby_lights_up_at_the_last_open_hour_are_the_site_open_in_a_pass_that_ends_there() -> None:
    # A mall's close moved from 23:30 to 24:00: its lobby lights were up at 23:00 from the first
    # day (half open, now open). A pass ending at midnight saw no closed hour after 23:00, so 23:00
    # was no edge of the opening hours and both lights alerted (realistic seed 31337, twice).
    def late(day: date, workday: bool):
        return (8, 24)

    ts, kwh, meters, hour, ordinal, workday = office(25, late)
    eleven = hour == 23
    kwh[eleven] = 5.5 * (1 + 0.03 * np.random.default_rng(2).standard_normal((int(eleven.sum()), len(meters))))
    day = 24  # the last day: the close moves to midnight, the lights stay on through 23:00
    kwh[ts == MONDAY + day * 86400 + 23 * 3600, :2] = 10.0
    out, _ = scan(ts, kwh, meters, hour, ordinal, workday, OpeningHours((8, 24), (8, 24)), MONDAY + day * 86400)
    assert [f.meter_id for f in out.findings] == []
