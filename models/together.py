"""Followers up together next to the learnt hours: the site open beyond them, not each meter's waste.

A site that opens earlier or closes later lifts its HVAC, its lobby lights and its lifts at
once, from the first day, before enough days confirm the new span (``models.opening``), and at
an edge hour the span cannot resolve (a close at 23:30) for good. ``open_together`` marks such
hours so that the scoring does not call them each follower's after-hours waste.
"""

from __future__ import annotations

import numpy as np

#: Score above which a follower counts as up with the others in an hour next to the opening
#: hours: below the alert thresholds (4-5), so that the meters a shifted opening lifts only
#: partly (a lift at 23:00 in a mall now closing at 23:30) still count.
TOGETHER_SCORE = 3.0
#: Hours this close to a change of the open state are the schedule's edge, where a shift shows
#: first (or, at a half-hour close the span cannot resolve, for good). Three: a park whose 18:00
#: close became 20:30 ran its HVAC and chiller through 18, 19 and 20 from the first day, and with
#: two edge hours the third was "closed hours beyond the edge" where both were up: left on, not
#: open, so all three hours alerted (and so did a weekend whose 15:00 close became 17:30).
EDGE_HOURS = 3
#: Share of the site's known followers that must be up together (and at least two). A third:
#: at a tuning mall closing at 23:30 instead of 21:30, 23:00 lifted both lobby lights and two of
#: five lifts (scores 13-22) while its HVAC had stopped; independent waste on a third of a
#: site's followers in one edge hour is not what one left-on meter looks like.
TOGETHER_SHARE = 1 / 3
#: Hours either side in which a meter up together with others must not also be up in the
#: closed hours beyond the edge: a night's length, so an evening and its night are judged together.
DEEP_HOURS = 8
#: ... up there, that is, by more than this share of its score at the edge. A meter left on draws
#: the same extra at the edge and in the night (two idle lifts: 10 and 10); a site opening earlier
#: lifts its HVAC far more at the edge than a warm night lifts it (a chiller at 19-25 at 05:00 and
#: 18:00, around 4 in the night between: with the night's 4 counted as "up", the park's chiller
#: and public HVAC alerted at both edges for three days before its half-hour moves were believed).
DEEP_SHARE = 0.5


def open_together(scores: np.ndarray, followers: np.ndarray, open_: np.ndarray) -> np.ndarray:
    """Per hour of ``scores`` (hours x meters), whether the site was open beyond its learnt hours:
    an hour within ``EDGE_HOURS`` of a change of the open state in which a third of the site's
    known occupancy followers (``followers``, per meter; at least two) are up together, each up
    there by more than twice (``DEEP_SHARE``) its most in the closed hours beyond the edge within
    ``DEEP_HOURS``.

    Waste is one meter left on; a site that opens earlier or closes later lifts its HVAC, its
    lobby lights and its lifts at once, from the first day, before enough days confirm the new
    span (and at an edge hour the span cannot resolve: a close at 23:30). Such hours are the
    site's schedule, not after-hours waste of its followers.
    """
    open_ = np.asarray(open_) > 0
    out = np.zeros(open_.size, dtype=bool)
    f = np.asarray(followers, dtype=bool)
    if f.sum() < 2:
        return out
    near_open, near_closed = np.zeros(open_.size, dtype=bool), np.zeros(open_.size, dtype=bool)
    for shift in range(1, EDGE_HOURS + 1):
        near_open[shift:] |= open_[:-shift]
        near_open[:-shift] |= open_[shift:]
        near_closed[shift:] |= ~open_[:-shift]
        near_closed[:-shift] |= ~open_[shift:]
    edge = (near_open & ~open_) | (near_closed & open_)
    s = np.nan_to_num(scores[:, f], nan=-np.inf)
    # A meter as far up in the closed hours beyond the edge, that night or morning, is left on
    # (two lifts idling at once at a residential tower), not a site open later.
    deep = _rolling_max(np.where((open_ | edge)[:, None], -np.inf, s), DEEP_HOURS)
    up = ((s > TOGETHER_SCORE) & (deep <= np.maximum(TOGETHER_SCORE, DEEP_SHARE * s))).sum(axis=1)
    known = np.isfinite(s).sum(axis=1)
    return edge & (up >= 2) & (up >= TOGETHER_SHARE * known)


def _rolling_max(values: np.ndarray, hours: int) -> np.ndarray:
    """Per row of ``values`` (hours x meters), each column's largest value within ``hours`` rows either side."""
    padded = np.pad(values, ((hours, hours), (0, 0)), constant_values=-np.inf)
    return np.lib.stride_tricks.sliding_window_view(padded, 2 * hours + 1, axis=0).max(axis=-1)
