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

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from core.domain import Meter
from core.timebase import DAY
from models.day_spans import FOLLOWERS, MIN_SWING, SLACK_HOURS, Span, daily_spans, scaled_days
from models.edge_moves import CONFIRM_DAYS as EDGE_CONFIRM_DAYS, MIN_REFERENCE_DAYS, edge_levels, edge_moves
from models.features import public_holidays
from models.kinds import HVAC
from models.quality import DataWarning
from models.schedule import OpeningHours

#: Days of one kind in a row that must agree before a new span is believed: two, so that a
#: change is in force from the third day on (the goal: no false alert later than three days
#: after a change), and never one odd day. Several meters must agree on each of them.
CONFIRM_DAYS = 2
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
CODE = "schedule_changed"


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
