"""One HVAC meter's own hours moved by an hour at an edge, day after day: its new normal, not waste.

A site's schedule change is learnt from its occupancy followers together (``models.opening``).
One meter may move on its own: a residential site's public HVAC, on a timer, that follows the
new declared hours (6-23 became 5-24) while its lobby lights follow the residents and the dusk
and its lifts the residents, so the site's spans do not move and there is no site change to
learn. Its baseline, fitted robustly on weeks of the old edge, called 23:00 and 05:00 waste
eight days after the change (session 6, schedule-change seed 7).

Each HVAC meter's own daily span (the hours it is above its off level, ``EDGE_UP_SHARE`` of its
daily range) is followed day by day per day kind: ``CONFIRM_DAYS`` days of one kind in a row
showing the same span, each end at most ``SLACK_HOURS`` from the span in force and one end
moved, are that meter's new edge from the first of them. Its hours whose state moved are then
its new normal, as a site change's turned hours are: trusted in training, the old normal of
those (hour, day kind) cells dropped once the cells hold some of the new one, not judged until
they do; and a ``schedule_changed`` finding on the meter tells the manager.

HVAC only (``models.kinds.HVAC``): it runs to a timer, and it is the meter judged at the edges
of the site's learnt hours. Lifts follow the people (a residential tower's lifts start an hour
later on the three days of a holiday) and lights the dusk: their own edges wander.

Waste does not look like that: HVAC on through the night moves an end by many hours, a left-on
evening is one day (or irregular), and a day showing any other span restarts the count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.domain import Meter
from core.timebase import DAY
from models.day_spans import SLACK_HOURS, Span, meter_spans, scaled_days
from models.kinds import HVAC
from models.opening import CODE, SMALL_CONFIRM_DAYS
from models.quality import DataWarning

#: Days of one kind in a row that must show one meter's same moved span: as many as an hour's
#: move of a whole site needs (``models.opening.SMALL_CONFIRM_DAYS``), so that the edge is its
#: normal from the fourth day on (the goal: no false alert later than three days after a change).
CONFIRM_DAYS = SMALL_CONFIRM_DAYS
#: Share of a meter's daily range above its low at which it counts as on. Lower than the site's
#: ``models.day_spans.UP_SHARE`` (a quarter), which reads when a site opens from several meters
#: at once: one meter's edge is where it leaves its off level, and a residential HVAC ramping up
#: at 05:00 draws a fifth of its afternoon peak.
EDGE_UP_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class EdgeMove:
    """One meter's span of one day kind, moved from ``before`` to ``after`` from ``start_ts``."""

    meter: int
    workday: tuple[bool, ...]
    before: Span
    after: Span
    start_ts: int
    #: First hour (epoch s) after the days that confirmed it: a baseline fitted earlier is stale.
    believed_ts: int

    def hours(self) -> np.ndarray:
        """Per local hour 0-23, whether the move changed its state (on in one span, off in the other)."""
        on = np.zeros((2, 24), dtype=bool)
        for row, (s, e) in enumerate((self.before, self.after)):
            on[row, s:e] = True
        return on[0] != on[1]


@dataclass(slots=True)
class MeterEdges:
    """Per hour of a window and meter: the hours of a moved edge since its first day, and before it the
    old normal of the same (hour, day kind) cells."""

    moved: np.ndarray
    superseded: np.ndarray
    moves: list[EdgeMove] = field(default_factory=list)

    def believed(self, meter: int) -> int:
        """When the latest move of ``meter`` was believed (epoch s), 0 if it has none."""
        return max((m.believed_ts for m in self.moves if m.meter == meter), default=0)

    def warnings(self, site_id: str, meters: list[Meter]) -> list[DataWarning]:
        """A ``schedule_changed`` finding per moved edge, on its meter."""
        return [
            DataWarning(
                CODE,
                f"{'working days' if True in m.workday else 'other days'}: this meter on "
                f"{m.before[0]:02d}:00-{m.before[1]:02d}:00 until this day, {m.after[0]:02d}:00-{m.after[1]:02d}:00 since",
                site_id,
                meters[m.meter].meter_id,
                {"started_at": m.start_ts, "workday": True in m.workday, "before": list(m.before), "after": list(m.after)},
            )
            for m in self.moves
        ]


def none(n_hours: int, n_meters: int) -> MeterEdges:
    """No moved edge over ``n_hours`` x ``n_meters``."""
    return MeterEdges(np.zeros((n_hours, n_meters), dtype=bool), np.zeros((n_hours, n_meters), dtype=bool))


def _small(a: Span, b: Span) -> bool:
    return a != b and abs(a[0] - b[0]) <= SLACK_HOURS and abs(a[1] - b[1]) <= SLACK_HOURS


def _moved(days: list[int], start: np.ndarray, end: np.ndarray) -> list[tuple[Span, Span, int, int]]:
    """One meter's moves over ``days`` (its day kind), from its daily spans ``start``/``end`` (NaN:
    no span): (old span, new span, first and last day of the run that confirmed it)."""
    moves: list[tuple[Span, Span, int, int]] = []
    current: Span | None = None
    run: list[tuple[int, Span]] = []
    for d in days:
        if np.isnan(start[d]):
            continue
        span = (int(start[d]), int(end[d]))
        if span == current:
            run = []
            continue
        if current is not None and not _small(span, current):
            run = []  # a day of waste or noise, neither the old edge nor a new one: start again
            continue
        # Days in a row showing one span: the meter's usual span (the first seen so), or its new edge.
        run = run + [(d, span)] if run and run[-1][1] == span else [(d, span)]
        if len(run) < CONFIRM_DAYS:
            continue
        if current is not None:
            moves.append((current, span, run[0][0], d))
        current, run = span, []
    return moves


def learn_edges(
    hours: np.ndarray,
    kwh: np.ndarray,
    meters: list[Meter],
    local_hour: np.ndarray,
    workday: np.ndarray,
    *,
    every_day: bool,
) -> list[EdgeMove]:
    """The moved edges of the HVAC meters among ``meters`` over ``kwh`` (hours x meters), whole local
    days only. ``every_day``: the site keeps the same hours every day (days of both kinds count
    together, as in ``models.opening.learn``)."""
    moves: list[EdgeMove] = []
    cols = [j for j, meter in enumerate(meters) if meter.category in HVAC]
    scaled = scaled_days(kwh, cols, local_hour, CONFIRM_DAYS + 1)
    if scaled is None:
        return moves
    rows, scaled_kwh = scaled
    _, _, _, start, end = meter_spans(scaled_kwh, EDGE_UP_SHARE)
    day_ts = np.asarray(hours, dtype=np.int64)[rows][::24]
    day_workday = np.asarray(workday)[rows][::24] > 0
    groups = [(True, False)] if every_day else [(True,), (False,)]
    for c, j in enumerate(cols):
        for group in groups:
            days = np.flatnonzero(np.isin(day_workday, group)).tolist()
            moves += [
                EdgeMove(j, group, before, after, int(day_ts[first]), int(day_ts[last]) + DAY)
                for before, after, first, last in _moved(days, start[:, c], end[:, c])
            ]
    return moves


def place(moves: list[EdgeMove], hours: np.ndarray, local_hour: np.ndarray, workday: np.ndarray, n_meters: int) -> MeterEdges:
    """The masks of ``moves`` over ``hours`` (a later window than the one they were learnt on may reuse them)."""
    out = none(np.asarray(hours).size, n_meters)
    out.moves = list(moves)
    if not moves:
        return out
    hour_of = np.asarray(local_hour, dtype=np.int64)
    kind_of = np.asarray(workday) > 0
    ts = np.asarray(hours, dtype=np.int64)
    for move in moves:
        cell = np.isin(kind_of, move.workday) & move.hours()[hour_of]
        out.moved[:, move.meter] |= cell & (ts >= move.start_ts)
        out.superseded[:, move.meter] |= cell & (ts < move.start_ts)
    return out


def up_on_moved_edges(scores: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """``scores`` (hours x meters) for ``models.together.open_together``, with each known hour of a
    meter's moved edge up: the meter is on there, whether its baseline has learnt it yet or not.
    Once learnt, its score there is low, and the site's other followers on later too (an
    industrial park now open 7-18, its public HVAC and second chiller at 07:00) lost the meter
    that made them "up together" and alerted."""
    return np.where(moved & ~np.isnan(scores), np.inf, scores)
