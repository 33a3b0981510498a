"""Opening hours learned from the load: when a site's occupancy-following meters are up, day by day.

The declared (or typical) opening hours are only a prior. Every day, each meter that follows
occupancy (HVAC, lobby lights, lifts, compressors) shows a span of hours above the middle of
its own daily range. A site's day has a span when most of these meters agree on it (the
door followers first, lifts aside: they follow the people, not the doors); a run of
``CONFIRM_DAYS`` days of one day kind agreeing on a span that differs from the one in force
is a schedule change, in force from the first of those days (days of both kinds count
together at a site whose prior hours are the same every day). One meter running all night is
that meter's waste, not a new schedule: a change needs the site's meters together.

The result, :class:`LearnedHours`, answers ``is_open`` like :class:`models.schedule.OpeningHours`
but per day, so the hours before a change keep the old schedule in training. Hours since a
change whose open state it changed are trusted training data (never left out as alerted waste,
never down-weighted as outliers): that is how the baselines take the new normal within days.
Hours learned from the first days of the window (the prior was simply wrong) are the site's
schedule from the window's start, and no change.

The edges (session 6): a span moved by an hour is a change after ``SMALL_CONFIRM_DAYS``; a
change also turns its edge hours (a close at 23:30 the hourly span cannot resolve); and
``models.together`` reads followers up together next to the learnt hours as the site open, not
as each meter's after-hours waste.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from core.domain import Meter, MeterCategory
from core.timebase import DAY
from models.edge_moves import CONFIRM_DAYS as EDGE_CONFIRM_DAYS, MIN_REFERENCE_DAYS, edge_levels, edge_moves
from models.features import public_holidays
from models.kinds import HVAC
from models.quality import DataWarning
from models.reference import row_median
from models.schedule import OpeningHours

C = MeterCategory
#: Loads that follow the people in a space: they are up while it is open.
FOLLOWERS = frozenset({C.PUBLIC_HVAC, C.CHILLER, C.LOBBY_LIGHTING, C.ELEVATOR, C.AIR_COMPRESSOR})
#: Followers switched with the opening itself (HVAC, lobby lights, chillers, compressors); lifts
#: follow the people, who arrive before the doors open and leave before they close.
DOOR_FOLLOWERS = FOLLOWERS - {C.ELEVATOR}
#: Days of one kind in a row that must agree before a new span is believed: two, so that a
#: change is in force from the third day on (the goal: no false alert later than three days
#: after a change), and never one odd day. Several meters must agree on each of them.
CONFIRM_DAYS = 2
#: Hours either end of a span may move before it counts as different (a late start is noise)
#: after ``CONFIRM_DAYS``; a move of this much or less needs ``SMALL_CONFIRM_DAYS``.
SLACK_HOURS = 1
#: Days in a row that must show a span moved by at most ``SLACK_HOURS`` (an hour earlier or
#: later) before it is believed: three, since a site's median span sits an hour off its usual
#: one on two days in a row now and then (seen once in 20 days at a tuning mall), never on
#: three. Session 5 never believed such a move, and a mall whose 10-21:30 became 9-23:30 (its
#: spans went from 10-22 to 9-23) raised six false alerts a day for eleven days.
SMALL_CONFIRM_DAYS = 3
#: ... and before the window's own hours replace the prior from its first day: none. A whole
#: window of days agreeing is better evidence than a table (a mall opening at 9:30 has its
#: 9:00 hour half open every day, and judging it closed called HVAC waste every morning).
INITIAL_SLACK_HOURS = 0
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
CODE = "schedule_changed"

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Change:
    """A learned schedule change: from which local date (ordinal, and its first hour in epoch s)
    which kind of day has which span; ``initial`` when the window's first days already had it."""

    ordinal: int
    workday: bool
    before: Span | None
    after: Span | None
    start_ts: int = 0
    initial: bool = False
    #: First hour (epoch s) after the days that confirmed it: a baseline fitted earlier is stale.
    believed_ts: int = 0
    #: For a move inside an edge hour (``models.edge_moves``; the span stays): that local hour.
    edge: int | None = None

    def moved(self) -> np.ndarray:
        """Per local hour 0-23, whether its open state or its part-open edge moved: the hours the
        change turned, the first and last hours of the span before and after it, and the hour
        beyond each moved end (a site that closed at 21:30 and closes at 23:30 draws all of 21:00
        and half of 23:00 now, and its spans say 10-22 then 9-23: an hour is the span's resolution),
        and the first and last open hours after it, whose level a half-hour move may change alone."""
        out = np.zeros(24, dtype=bool)
        if self.edge is not None:
            out[self.edge] = True
            return out
        if self.before is None or self.after is None:
            span = self.before or self.after
            if span is not None:
                out[span[0] : span[1]] = True
            return out
        (s0, e0), (s1, e1) = self.before, self.after
        if s0 != s1:
            out[max(0, min(s0, s1) - 1) : max(s0, s1) + 1] = True
        if e0 != e1:
            out[max(0, min(e0, e1) - 1) : max(e0, e1) + 1] = True
        # An end the spans keep may still have moved inside its edge hour: a mall whose
        # 9:00-23:30 became 8:30-24:00 shows 9-24 then 8-24, its 23:00 hour half open then
        # fully open (its lobby lights and a lift alerted there every day after the change).
        if s1 < e1:
            out[s1] = out[e1 - 1] = True
        return out


@dataclass(slots=True)
class LearnedHours:
    """Opening hours per day: the prior, then each confirmed change from its first day."""

    prior: OpeningHours
    changes: list[Change] = field(default_factory=list)
    #: The hours (epoch s) the hours were learned over, and which of them a change turned.
    hours: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    turned: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    #: Hours before a change in the (local hour, day kind) cells it turned: the old normal
    #: of those cells, left out of training so that the cells learn the new one alone.
    superseded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    #: The hours of public holidays unlike their kind of day (an office open on Saturdays, closed
    #: for a festival): left out of training, whose cells know two kinds of day.
    odd: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def odd_at(self, hours: np.ndarray) -> np.ndarray:
        """Whether each of ``hours`` lies on a public holiday unlike its kind of day."""
        return self._at(self.odd, hours)

    def span_on(self, workday: bool, ordinal: int) -> Span | None:
        """The span in force on a day of this kind: the latest change's, else the prior's."""
        span = self.prior.workday if workday else self.prior.other
        for change in self.changes:
            if change.workday == workday and change.ordinal <= ordinal:
                span = change.after
        return span

    @property
    def changed_since(self) -> int | None:
        """First hour (epoch s) of the latest change inside the window, None if there is none."""
        inside = [c.start_ts for c in self.changes if not c.initial]
        return max(inside) if inside else None

    @property
    def believed_since(self) -> int | None:
        """First hour (epoch s) after the days that confirmed the latest change, None if none."""
        inside = [c.believed_ts for c in self.changes if not c.initial]
        return max(inside) if inside else None

    def turned_at(self, hours: np.ndarray) -> np.ndarray:
        """Whether each of ``hours`` lies after a change that turned its open state."""
        return self._at(self.turned, hours)

    def superseded_at(self, hours: np.ndarray) -> np.ndarray:
        """Whether each of ``hours`` holds a cell's old normal that a later change turned."""
        return self._at(self.superseded, hours)

    def _at(self, mask: np.ndarray, hours: np.ndarray) -> np.ndarray:
        if not mask.any():
            return np.zeros(np.asarray(hours).size, dtype=bool)
        at = np.searchsorted(self.hours, hours)
        inside = (at < self.hours.size) & (self.hours[np.minimum(at, self.hours.size - 1)] == hours)
        return inside & mask[np.minimum(at, self.hours.size - 1)]

    def is_open(self, hour: np.ndarray, workday: np.ndarray, ordinal: np.ndarray | None = None) -> np.ndarray:
        """1.0 for each hour inside the opening hours in force on its day, else 0.0."""
        out = self.prior.is_open(hour, workday)
        if ordinal is None or not self.changes:
            return out
        hour, workday, ordinal = np.asarray(hour), np.asarray(workday) > 0, np.asarray(ordinal)
        for change in self.changes:  # in date order: a later change overwrites an earlier one
            days = (ordinal >= change.ordinal) & (workday == change.workday)
            out[days] = 0.0
            if change.after is not None:
                out[days & (hour >= change.after[0]) & (hour < change.after[1])] = 1.0
        return out

    def warnings(self, site_id: str) -> list[DataWarning]:
        """A ``schedule_changed`` finding per change inside the window (meter "": the whole site)."""
        return [
            DataWarning(
                CODE,
                _message(c),
                site_id,
                "",
                {
                    "started_at": c.start_ts,
                    "workday": c.workday,
                    "before": list(c.before) if c.before else None,
                    "after": list(c.after) if c.after else None,
                    **({"edge_hour": c.edge} if c.edge is not None else {}),
                },
            )
            for c in self.changes
            if not c.initial
        ]


def _message(c: Change) -> str:
    days = "working days" if c.workday else "other days"
    if c.edge is not None:
        return f"{days}: the hour {c.edge:02d}:00-{c.edge + 1:02d}:00 runs at a new level since this day (a move inside it; open {_text(c.after)} as before)"
    return f"{days}: open {_text(c.before)} until this day, {_text(c.after)} since"


def _text(span: Span | None) -> str:
    return "closed" if span is None else f"{span[0]:02d}:00-{span[1]:02d}:00"


def _differs(a: Span | None, b: Span | None, slack: int = SLACK_HOURS) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a[0] - b[0]) > slack or abs(a[1] - b[1]) > slack


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


def learn(
    prior: OpeningHours,
    hours: np.ndarray,
    kwh: np.ndarray,
    meters: list[Meter],
    local_hour: np.ndarray,
    ordinal: np.ndarray,
    workday: np.ndarray,
) -> LearnedHours:
    """Learn a site's opening hours from ``kwh`` (``hours`` x meters) over whole local days."""
    learned = LearnedHours(prior, hours=np.asarray(hours, dtype=np.int64), turned=np.zeros(np.asarray(hours).size, dtype=bool))
    days = _whole_days(kwh, meters, local_hour)
    if days is None:
        return learned
    rows, shown, scaled = days
    # A public holiday's hours are not the hours of its kind of day (an office open on Saturdays
    # closes for a festival): three closed holidays read as a change of the weekend hours.
    holidays = {d: shown[d] for d in np.flatnonzero(public_holidays(ordinal[rows][::24])).tolist() if d in shown}
    shown = {d: span for d, span in shown.items() if d not in holidays}
    on = _Days(ordinal[rows][::24], workday[rows][::24] > 0, np.asarray(hours, dtype=np.int64)[rows][::24])
    # A site open the same hours every day (a mall) learns from all its days at once: a
    # change is then believed after two days, not after two weekends.
    kinds = [(True, False)] if prior.workday == prior.other else [(True,), (False,)]
    for group in kinds:
        learned.changes += _changes(group, prior, shown, on, int(ordinal.min()), int(hours[0]))
    learned.changes.sort(key=lambda c: c.ordinal)
    for group in kinds:
        learned.changes += _edge_changes(group, learned, shown, scaled, on, _vote_groups(meters))
    learned.changes.sort(key=lambda c: c.ordinal)
    if any(not c.initial for c in learned.changes):
        _turn(learned, prior, hours, local_hour, ordinal, workday)
    odd = [
        int(on.ordinal[d])
        for d, span in holidays.items()
        if _differs(span, learned.span_on(bool(on.workday[d]), int(on.ordinal[d])), 0)
    ]
    learned.odd = np.isin(np.asarray(ordinal), odd)
    return learned


class _Days(NamedTuple):
    """Per whole local day of a window: its ordinal, whether a working day, its first hour (epoch s)."""

    ordinal: np.ndarray
    workday: np.ndarray
    ts: np.ndarray


def _whole_days(
    kwh: np.ndarray, meters: list[Meter], local_hour: np.ndarray
) -> tuple[np.ndarray, dict[int, Span | None], np.ndarray] | None:
    """The rows of the window's whole local days, each day's known span (a span, or None:
    closed all day; days whose span is unknown left out) and the followers' scaled days
    (``scaled_days``); None when there is nothing to learn from."""
    cols = [j for j, m in enumerate(meters) if m.category in FOLLOWERS]
    scaled = scaled_days(kwh, cols, local_hour, CONFIRM_DAYS)
    if scaled is None:
        return None
    rows, days = scaled
    spans = daily_spans(days, np.array([meters[j].category.value for j in cols]))
    return rows, {d: span for d, span in enumerate(spans) if not isinstance(span, bool)}, days


def _vote_groups(meters: list[Meter]) -> np.ndarray:
    """Per follower of ``meters``, its vote on an edge move (``models.edge_moves``): its category,
    but HVAC and chillers one group (they follow the weather together)."""
    return np.array(["hvac" if m.category in HVAC else m.category.value for m in meters if m.category in FOLLOWERS])


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


def _changes(
    group: tuple[bool, ...], prior: OpeningHours, shown: dict[int, Span | None], on: _Days, first_ordinal: int, first_ts: int
) -> list[Change]:
    """The changes of one day kind (``group``: its workday values) that the days' spans confirm."""
    changes: list[Change] = []
    # ``current`` is in force; ``seen`` is what the load showed of it, against which a
    # change is judged (the two differ when the window opens close to the declared hours).
    current = seen = prior.workday if group[0] else prior.other
    run: list[int] = []
    agreed = 0  # days that showed the hours in force: without enough of them, no change is seen
    for d in [d for d in np.flatnonzero(np.isin(on.workday, group)).tolist() if d in shown]:
        span = shown[d]
        initial = agreed < CONFIRM_DAYS
        if not _differs(span, seen, INITIAL_SLACK_HOURS if initial else 0):
            run = []
            agreed += 1
            continue
        run = [r for r in run if not _differs(shown[r], span)] + [d]
        after = _median_span([shown[r] for r in run])
        if not initial and not _differs(after, seen, 0):
            continue
        # An hour's move is believed on more days than a larger one (see SMALL_CONFIRM_DAYS);
        # the window's first days replace the prior as soon as they agree.
        if len(run) < (CONFIRM_DAYS if initial or _differs(after, seen) else SMALL_CONFIRM_DAYS):
            continue
        # Hours seen before any days showed the prior's are the site's schedule, not a change;
        # they replace the prior where different, else they are how the prior looks.
        believed = int(on.ts[run[-1]]) + DAY
        start_ordinal = first_ordinal if initial else int(on.ordinal[run[0]])
        start_ts = first_ts if initial else int(on.ts[run[0]])
        changes += [
            Change(start_ordinal, kind, current, after, start_ts, initial, first_ts if initial else believed) for kind in group
        ]
        current = seen = after
        run, agreed = [], CONFIRM_DAYS  # the new hours stand; a later change is a change
    return changes


def _edge_changes(
    group: tuple[bool, ...],
    learned: LearnedHours,
    shown: dict[int, Span | None],
    scaled: np.ndarray,
    on: _Days,
    votes: np.ndarray,
) -> list[Change]:
    """The moves inside an edge hour of the span in force (``models.edge_moves``) on the days of one
    kind (``group``), as changes that keep the span and turn that hour.

    Each open day is read at the edge hours of the span in force, if its own span is within
    ``SLACK_HOURS`` of it at both ends: a mall whose 22:30 close became 24:00 showed 9-22, 9-24,
    9-24, 9-23 on its first days (its HVAC weak late in the evening, its quiet lifts stopping
    early), so neither the span's move nor, read only on days at 9-23, its 22:00 hour's move
    (half open, now open) was believed for a week, and two lifts and a lobby light alerted at
    22:00 every evening (realistic seed 31415)."""
    days = [d for d in np.flatnonzero(np.isin(on.workday, group)).tolist() if d in shown]
    if len(days) < MIN_REFERENCE_DAYS + EDGE_CONFIRM_DAYS:
        return []
    in_force = [learned.span_on(bool(on.workday[d]), int(on.ordinal[d])) for d in days]
    near = [span if span is not None and not _differs(shown[d], span) else None for d, span in zip(days, in_force, strict=True)]
    # A day is compared only with the earlier days of its own span in force.
    segment = np.cumsum([0] + [a != b for a, b in zip(in_force[:-1], in_force[1:], strict=True)])
    out: list[Change] = []
    for move in edge_moves(edge_levels(scaled[days], near, MIN_SWING), segment, votes):
        span = in_force[move.first]
        assert span is not None  # moves are found only on days at a span
        first, last = days[move.first], days[move.last]
        out += [
            Change(
                int(on.ordinal[first]),
                kind,
                span,
                span,
                int(on.ts[first]),
                believed_ts=int(on.ts[last]) + DAY,
                edge=span[0] if move.edge == 0 else span[1] - 1,
            )
            for kind in group
        ]
    return out


def _median_span(spans: list[Span | None]) -> Span | None:
    """The median start and end of the open days among ``spans``; None if all were closed."""
    open_days = [span for span in spans if span is not None]
    if not open_days:
        return None
    return int(np.median([span[0] for span in open_days])), int(np.median([span[1] for span in open_days]))


def _turn(
    learned: LearnedHours,
    prior: OpeningHours,
    hours: np.ndarray,
    local_hour: np.ndarray,
    ordinal: np.ndarray,
    workday: np.ndarray,
) -> None:
    """Mark the hours whose open state the in-window changes turned (the new normal, trusted) and
    the earlier hours of those cells (their old normal, superseded)."""
    before = LearnedHours(prior, [c for c in learned.changes if c.initial]).is_open(local_hour, workday, ordinal)
    learned.turned = learned.is_open(local_hour, workday, ordinal) != before
    hour_of, kind_of = np.asarray(local_hour, dtype=np.int64), np.asarray(workday) > 0
    for c in learned.changes:
        if not c.initial:
            learned.turned |= (np.asarray(ordinal) >= c.ordinal) & (kind_of == c.workday) & c.moved()[hour_of]
    cell = np.asarray(local_hour, dtype=np.int64) * 2 + (np.asarray(workday) > 0)
    # Each change supersedes the hours before it in the cells turned since: after several changes
    # (a span flapping in the history, then a real move) a cell's old normal runs up to the latest
    # change that turned it, not to the first change of the window.
    learned.superseded = np.zeros(np.asarray(hours).size, dtype=bool)
    for c in learned.changes:
        if not c.initial:
            since = learned.turned & (np.asarray(ordinal) >= c.ordinal) & (kind_of == c.workday)
            learned.superseded |= (np.asarray(hours) < c.start_ts) & np.isin(cell, np.unique(cell[since]))
