"""Opening hours learned from the load: when a site's occupancy-following meters are up, day by day.

The declared (or typical) opening hours are only a prior. Every day, each meter that follows
occupancy (HVAC, lobby lights, lifts, compressors) shows a span of hours above the middle of
its own daily range. A site's day has a span when most of these meters agree on it; a run of
``CONFIRM_DAYS`` days of one day kind agreeing on a span that differs from the one in force
is a schedule change, in force from the first of those days. One meter running all night is
that meter's waste, not a new schedule: a change needs the site's meters together.

The result, :class:`LearnedHours`, answers ``is_open`` like :class:`models.schedule.OpeningHours`
but per day, so the hours before a change keep the old schedule in training.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.domain import Meter, MeterCategory
from models.quality import DataWarning
from models.schedule import OpeningHours

C = MeterCategory
#: Loads that follow the people in a space: they are up while it is open.
FOLLOWERS = frozenset({C.PUBLIC_HVAC, C.CHILLER, C.LOBBY_LIGHTING, C.ELEVATOR, C.AIR_COMPRESSOR})
#: Days of one kind in a row that must agree before a new span is believed: a few days
#: (the goal is no false alert later than three days after a change), not one odd day.
CONFIRM_DAYS = 3
#: Hours either end of a span may move before it counts as different (a late start is noise).
SLACK_HOURS = 1
#: A meter's day shows a span only if its range that day is this share of its usual range:
#: a flat day (closed, or on all day) has no span.
MIN_SWING = 0.35
#: Share of a site's spanned meters that must agree with the day's median span (at least two).
AGREE_SHARE = 2 / 3
CODE = "schedule_changed"

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Change:
    """A learned schedule change: from which local date (ordinal) which kind of day has which span."""

    ordinal: int
    workday: bool
    before: Span | None
    after: Span | None


@dataclass(slots=True)
class LearnedHours:
    """Opening hours per day: the prior, then each confirmed change from its first day."""

    prior: OpeningHours
    changes: list[Change] = field(default_factory=list)

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

    def warnings(self, site_id: str, day_start: callable) -> list[DataWarning]:  # noqa: ANN001 - ordinal -> epoch s
        return [DataWarning(CODE, f"{'working days' if c.workday else 'other days'}: open "
                                  f"{_text(c.before)} until this day, {_text(c.after)} since",
                            site_id, "", {"started_at": int(day_start(c.ordinal)), "workday": c.workday,
                                          "before": list(c.before) if c.before else None,
                                          "after": list(c.after) if c.after else None})
                for c in self.changes]


def _text(span: Span | None) -> str:
    return "closed" if span is None else f"{span[0]:02d}:00-{span[1]:02d}:00"


def _differs(a: Span | None, b: Span | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a[0] - b[0]) > SLACK_HOURS or abs(a[1] - b[1]) > SLACK_HOURS


def daily_spans(days: np.ndarray) -> list[Span | None | bool]:
    """Per day of ``days`` (days x 24 x meters, each meter scaled to its usual range), the site's
    span; None for a day with no rhythm that most meters spend low (closed); False for unknown."""
    out: list[Span | None | bool] = []
    for day in days:
        known = ~np.isnan(day).any(axis=0)
        if known.sum() < 1:
            out.append(False)
            continue
        day = day[:, known]
        low, high = day.min(axis=0), day.max(axis=0)
        swing = (high - low) >= MIN_SWING
        spans = []
        for j in np.flatnonzero(swing):
            up = np.flatnonzero(day[:, j] >= low[j] + 0.5 * (high[j] - low[j]))
            spans.append((int(up[0]), int(up[-1]) + 1))
        need = max(2, int(np.ceil(AGREE_SHARE * known.sum()))) if known.sum() >= 2 else 1
        if len(spans) >= need:
            median = (int(np.median([s[0] for s in spans])), int(np.median([s[1] for s in spans])))
            agree = sum(1 for s in spans if not _differs(s, median))
            out.append(median if agree >= need else False)
        elif (~swing).sum() >= need and float(np.median(high[~swing])) < 0.5:
            out.append(None)  # flat and low: closed all day
        else:
            out.append(False)
    return out


def learn(prior: OpeningHours, kwh: np.ndarray, meters: list[Meter], local_hour: np.ndarray,
          ordinal: np.ndarray, workday: np.ndarray) -> LearnedHours:
    """Learn a site's opening hours from ``kwh`` (hours x meters) over whole local days."""
    learned = LearnedHours(prior)
    cols = [j for j, m in enumerate(meters) if m.category in FOLLOWERS]
    if not cols or kwh.shape[0] < 24 * CONFIRM_DAYS:
        return learned
    firsts = np.flatnonzero(local_hour == 0)
    if firsts.size == 0:
        return learned
    n_days = (kwh.shape[0] - firsts[0]) // 24
    if n_days < CONFIRM_DAYS:
        return learned
    rows = firsts[0] + np.arange(n_days * 24)
    if not np.array_equal(local_hour[rows], np.tile(np.arange(24), n_days)):
        return learned  # a day of 23 or 25 hours (DST): keep the prior rather than misalign
    block = kwh[np.ix_(rows, cols)]
    with np.errstate(all="ignore"):
        low = np.nanpercentile(block, 5, axis=0)
        high = np.nanpercentile(block, 95, axis=0)
    scale = np.where(high - low > 0, high - low, np.nan)
    days = ((block - low) / scale).reshape(n_days, 24, len(cols))
    spans = daily_spans(days)
    day_ordinal = ordinal[rows][::24]
    day_workday = workday[rows][::24] > 0
    for kind in (True, False):
        current = prior.workday if kind else prior.other
        run: list[int] = []
        for d in np.flatnonzero(day_workday == kind).tolist():
            span = spans[d]
            if span is False:
                continue
            if not _differs(span, current):
                run = []
                continue
            run = [r for r in run if not _differs(spans[r], span)] + [d]
            if len(run) >= CONFIRM_DAYS:
                starts = [spans[r][0] for r in run if spans[r] is not None]
                ends = [spans[r][1] for r in run if spans[r] is not None]
                after = (int(np.median(starts)), int(np.median(ends))) if starts else None
                learned.changes.append(Change(int(day_ordinal[run[0]]), kind, current, after))
                current, run = after, []
    learned.changes.sort(key=lambda c: c.ordinal)
    return learned
