"""A site's daily span read from its occupancy followers: when each meter is up, and the span most agree on.

Each meter that follows occupancy (HVAC, lobby lights, lifts, compressors), scaled to its usual
range, shows per local day a span of hours a quarter of its daily range above its low; a site's
day has a span when most of them agree on it (the door followers first, lifts aside: they follow
the people, not the doors). ``models.opening`` learns schedules and their changes from these spans.
"""

from __future__ import annotations

import warnings

import numpy as np

from core.domain import MeterCategory
from models.reference import row_median

C = MeterCategory
#: Loads that follow the people in a space: they are up while it is open.
FOLLOWERS = frozenset({C.PUBLIC_HVAC, C.CHILLER, C.LOBBY_LIGHTING, C.ELEVATOR, C.AIR_COMPRESSOR})
#: Followers switched with the opening itself (HVAC, lobby lights, chillers, compressors); lifts
#: follow the people, who arrive before the doors open and leave before they close.
DOOR_FOLLOWERS = FOLLOWERS - {C.ELEVATOR}
#: Hours either end of a span may move before it counts as different (a late start is noise)
#: after ``models.opening.CONFIRM_DAYS``; a move of this much or less needs its ``SMALL_CONFIRM_DAYS``.
SLACK_HOURS = 1
#: Share of a meter's daily range above its low that counts as up: opening is a step up
#: from the closed level, which the afternoon's cooling peak must not hide (HVAC at 22:00
#: runs well above its night level and well below its 15:00 peak).
UP_SHARE = 0.25
#: A meter's day shows a span only if its range that day is this share of its usual range:
#: a flat day (closed, or on all day) has no span.
MIN_SWING = 0.35
#: Share of a site's spanned meters that must agree with the day's median span (at least two):
#: half, because lifts follow people more than doors (an office's lifts are quiet at 07:00
#: even when it opens then) while HVAC and lobby lights follow the opening itself.
AGREE_SHARE = 0.5

Span = tuple[int, int]


def daily_spans(days: np.ndarray, kinds: np.ndarray | None = None) -> list[Span | None | bool]:
    """Per day of ``days`` (days x 24 x meters, each meter scaled to its usual range), the site's
    span; None for a day with no rhythm that most meters spend low (closed); False for unknown.

    ``kinds`` (per meter, its category value): a day whose door followers (``DOOR_FOLLOWERS``)
    agree on a span takes theirs, each category one vote and an even split the wider span
    (see ``_door_spans``); otherwise the median over all followers. Vectorised over days and
    meters: a portfolio pass learns 5,000 sites.
    """
    known, swing, high, start, end = meter_spans(days)
    n_known, n_spans = known.sum(axis=1), swing.sum(axis=1)
    need = np.where(n_known >= 2, np.maximum(2, np.ceil(AGREE_SHARE * n_known)), 1)
    flat = known & ~swing
    mid_start, mid_end = np.floor(row_median(start)), np.floor(row_median(end))
    flat_high = row_median(np.where(flat, high, np.nan))
    agree = ((np.abs(start - mid_start[:, None]) <= SLACK_HOURS) & (np.abs(end - mid_end[:, None]) <= SLACK_HOURS)).sum(axis=1)
    doors = _door_spans(known, swing, start, end, kinds)
    swinging_doors = _doors_swing(known, swing, kinds)
    out: list[Span | None | bool] = []
    for d in range(days.shape[0]):
        if doors is not None and doors[d] is not None:
            out.append(doors[d])
        elif n_known[d] < 1:
            out.append(False)
        elif n_spans[d] >= need[d]:
            out.append((int(mid_start[d]), int(mid_end[d])) if agree[d] >= need[d] else False)
        elif flat[d].sum() >= need[d] and flat_high[d] < 0.5 and not swinging_doors[d]:
            out.append(None)  # flat and low: closed all day
        else:
            out.append(False)
    return out


def _doors_swing(known: np.ndarray, swing: np.ndarray, kinds: np.ndarray | None) -> np.ndarray:
    """Per day, whether half the door followers known that day (and two) swing: the site is not
    closed all day, whatever its lifts say.

    An industrial park's weekend: its lifts still, its compressor flat, its chiller and HVAC up
    10-15. The day the HVAC was also left on all evening the two spans disagreed, and the three
    flat meters made it "closed all day": two such days were a change to closed, and the HVAC and
    chiller then alerted through every weekend day's opening (realistic 2027).
    """
    if kinds is None:
        return np.zeros(known.shape[0], dtype=bool)
    doors = np.isin(np.asarray(kinds), [c.value for c in DOOR_FOLLOWERS])
    n_swing = swing[:, doors].sum(axis=1)
    return (n_swing >= 2) & (n_swing >= AGREE_SHARE * known[:, doors].sum(axis=1))


def meter_spans(days: np.ndarray, up_share: float = UP_SHARE) -> tuple[np.ndarray, ...]:
    """Per day and meter of ``days``: known (no gap), swinging, its high, and its span's start and
    end (NaN where it does not swing); a meter is up where it is ``up_share`` of its day's range
    above its low."""
    known = ~np.isnan(days).any(axis=1)  # (days, meters): a meter with a gap that day says nothing
    filled = np.where(np.isnan(days), 0.0, days)
    low, high = filled.min(axis=1), filled.max(axis=1)
    swing = known & ((high - low) >= MIN_SWING)
    up = filled >= (low + up_share * (high - low))[:, None, :]
    start = np.where(swing, up.argmax(axis=1), np.nan)
    end = np.where(swing, 24 - up[:, ::-1, :].argmax(axis=1), np.nan)
    return known, swing, high, start, end


def _door_spans(
    known: np.ndarray, swing: np.ndarray, start: np.ndarray, end: np.ndarray, kinds: np.ndarray | None
) -> list[Span | None] | None:
    """Per day, the span the door followers agree on (None where they do not); None without two of them.

    Lifts follow the people, who come before the doors open and leave before they close: an office
    open 8:30-20:30 has its lobby lights and HVAC up through the 20:00 hour and its four lifts
    until 19:00 or 20:00, and the median over all eight followers closed it at 20:00 (its HVAC
    then alerted at 20:00 every working day). Each category has one vote, shared by its meters
    known that day (a mall's three HVAC units, weak in the half-open hour of a 21:30 close, do
    not outvote its two lobby lights); an even split takes the wider span, since an open hour
    called closed raises false alerts every day and a closed hour called open only hides waste in
    that hour. Half the door followers known that day (and two) must agree within ``SLACK_HOURS``.
    """
    if kinds is None:
        return None
    doors = np.isin(np.asarray(kinds), [c.value for c in DOOR_FOLLOWERS])
    if doors.sum() < 2:
        return None
    kinds = np.asarray(kinds)[doors]
    known, swing, start, end = known[:, doors], swing[:, doors], start[:, doors], end[:, doors]
    weight = np.zeros(swing.shape)
    for kind in np.unique(kinds):
        mine = kinds == kind
        weight[:, mine] = 1.0 / np.maximum(known[:, mine].sum(axis=1), 1)[:, None]
    need = np.maximum(2, np.ceil(AGREE_SHARE * known.sum(axis=1)))
    first, last, ok = _door_vote(swing, start, end, weight, need)
    # Where the categories split (an office's HVAC left on until 01:30 against its lobby lights'
    # 6-21), each door follower votes alone: its two lobby lights agree, and the median over
    # all followers, its four lifts quiet from 20:00, closed it at 20:00 (realistic seed 48611).
    alone = _door_vote(swing, start, end, np.ones(swing.shape), need)
    first, last = np.where(ok, first, alone[0]), np.where(ok, last, alone[1])
    ok |= alone[2]
    return [(int(first[d]), int(last[d])) if ok[d] else None for d in range(ok.size)]


def _door_vote(
    swing: np.ndarray, start: np.ndarray, end: np.ndarray, weight: np.ndarray, need: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day, the weighted median start and end of the door followers, and whether ``need`` of
    them agree with both within ``SLACK_HOURS``."""
    first, last = _weighted_median(start, weight), _weighted_median(end, weight, upper=True)
    agree = ((np.abs(start - first[:, None]) <= SLACK_HOURS) & (np.abs(end - last[:, None]) <= SLACK_HOURS)).sum(axis=1)
    return first, last, (swing.sum(axis=1) >= need) & (agree >= need)


def _weighted_median(values: np.ndarray, weights: np.ndarray, upper: bool = False) -> np.ndarray:
    """Per row of ``values`` (NaN: no vote), the weighted median; on an even split the lower
    value, or with ``upper`` the higher one. NaN for a row without votes."""
    sign = -1.0 if upper else 1.0
    signed = np.where(np.isnan(values), np.inf, sign * values)
    order = np.argsort(signed, axis=1)
    cum = np.cumsum(np.take_along_axis(np.where(np.isnan(values), 0.0, weights), order, axis=1), axis=1)
    at = np.argmax(cum >= cum[:, -1:] / 2 - 1e-9, axis=1)
    out = sign * np.take_along_axis(signed, order, axis=1)[np.arange(at.size), at]
    return np.where(cum[:, -1] > 0, out, np.nan)


def scaled_days(kwh: np.ndarray, cols: list[int], local_hour: np.ndarray, min_days: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The rows of the window's whole local days and ``kwh``'s ``cols`` over them as days x 24 x
    meters, each meter scaled to its usual range (5th to 95th percentile); None without ``cols``,
    with fewer than ``min_days`` whole days, or across a day of 23 or 25 hours (DST)."""
    local_hour = np.asarray(local_hour)
    firsts = np.flatnonzero(local_hour == 0)
    if not cols or firsts.size == 0:
        return None
    n_days = (kwh.shape[0] - firsts[0]) // 24
    if n_days < min_days:
        return None
    rows = firsts[0] + np.arange(n_days * 24)
    if not np.array_equal(local_hour[rows], np.tile(np.arange(24), n_days)):
        return None  # keep the prior rather than misalign
    block = kwh[np.ix_(rows, cols)]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a meter with no reading: NaN range, no span
        # np.percentile is many times faster than np.nanpercentile; gaps are the exception
        low, high = (
            np.percentile(block, (5, 95), axis=0) if not np.isnan(block).any() else np.nanpercentile(block, (5, 95), axis=0)
        )
    scale = np.where(high - low > 0, high - low, np.nan)
    return rows, ((block - low) / scale).reshape(n_days, 24, len(cols))
