"""``CreepPolicy``: how base-load creep findings merge with a meter's alerts.

A creep is measured over days from the end of the data, so unlike an hourly episode it
starts before alerts already raised on its meter, is re-found from a new start as the
window slides, and outlives the window. The alert book (``models.alerts.AlertBook``)
asks this policy, through the ``MergePolicy`` methods, which alerts a finding may
continue; every creep-specific rule lives here.
"""

from __future__ import annotations

from core.alerts import AlertStatus
from core.db.tables import AlertRecord
from core.timebase import DAY
from models.episodes import WasteEpisode
from models.kinds import BASE_LOAD_CREEP

#: A base-load creep alert spanning this long is a creep, whatever a later pass finds inside it.
ESTABLISHED_CREEP_S = 4 * DAY
#: A creep found starting in the last this-long of a closed creep alert of its meter is a new
#: creep: a fixed creep is followed until its last two days drop, a day or so after the fix,
#: and one that begins right after (the same worn part again) starts inside that day.
NEW_CREEP_S = 2 * DAY


def _established(row: AlertRecord) -> bool:
    return row.kind == BASE_LOAD_CREEP and row.ended_at - row.started_at >= ESTABLISHED_CREEP_S


class CreepPolicy:
    """The merge rules of base-load creep; findings of other kinds pass through unchanged."""

    noun = "base-load creep"

    def explains(self, finding: WasteEpisode, rows: list[AlertRecord]) -> bool:
        """True for a finding of another kind that starts inside an established creep alert of its
        meter (``rows``): a pass that no longer sees the creep (it was fixed) re-scores its days and
        finds their excess night by night, and that excess is the creep's, already alerted. A creep
        alert shorter than ESTABLISHED_CREEP_S yields instead: a few nights of another waste can pass
        for a ramp for a day or two, and re-scoring then names them right."""
        return finding.kind != BASE_LOAD_CREEP and any(
            _established(r) and r.started_at <= finding.started_at < r.ended_at for r in rows
        )

    def closed_to(self, row: AlertRecord, finding: WasteEpisode) -> bool:
        """True when ``row`` may not take ``finding`` at all: a creep finding that starts in the last
        NEW_CREEP_S of a closed creep alert, or after it, is a new creep after the old one was fixed,
        which must not take over (and move) the old alert. (The book never asks it of a resolved
        alert being watched: a creep coming back reopens it.)"""
        return (
            finding.kind == row.kind == BASE_LOAD_CREEP
            and not row.ongoing
            and max(row.started_at + 1, row.ended_at - NEW_CREEP_S) <= finding.started_at
        )

    def same_kind(self, finding: WasteEpisode, same: list[AlertRecord], rows: list[AlertRecord]) -> list[AlertRecord]:
        """The alerts of the finding's kind (``same``, out of the meter's ``rows``) it may continue,
        best first. For a creep: its own alert, ongoing first, then the longest; never a night it
        absorbed (see :meth:`absorbs`), whose span is inside the creep's: growing it would count
        the creep twice."""
        if finding.kind != BASE_LOAD_CREEP:
            return same
        own = [r for r in same if not self.absorbed(r, rows)]
        return sorted(own, key=lambda r: (not r.ongoing, r.started_at - r.ended_at))

    @staticmethod
    def crosses_kind(row: AlertRecord, finding: WasteEpisode) -> bool:
        """Whether ``finding`` may continue ``row``, an alert of another kind it overlaps: a growing
        episode may change kind (night lights still on after sunrise), and a scan starting inside a
        frozen episode sees its tail. Never a creep, nor a finding that began before the alert:
        that is another finding, which must not take over the alert's kind and detection time."""
        return finding.kind != BASE_LOAD_CREEP and row.started_at <= finding.started_at

    @staticmethod
    def absorbed(row: AlertRecord, rows: list[AlertRecord]) -> bool:
        """True for a finished creep-kind alert inside a longer creep alert of its meter: a night the
        creep absorbed, part of that creep, never a creep of its own."""
        return (
            row.kind == BASE_LOAD_CREEP
            and not row.ongoing
            and any(
                r is not row and r.kind == BASE_LOAD_CREEP and r.started_at < row.started_at and row.ended_at <= r.ended_at
                for r in rows
            )
        )

    @staticmethod
    def absorbs(row: AlertRecord, rows: list[AlertRecord]) -> list[AlertRecord]:
        """The alerts of another kind that ``row``, once an established creep alert, makes part of it.

        Before a creep is found, a night of its ramp can pass another check (a compressor
        above its baseline reads as a leak); once the creep spans four days and holds that
        night, the night was the creep. Only finished alerts nobody has acted on.
        """
        if not _established(row):
            return []
        return [
            r
            for r in rows
            if r.kind != BASE_LOAD_CREEP
            and not r.ongoing
            and r.status == AlertStatus.OPEN
            and row.started_at <= r.started_at
            and r.ended_at <= row.ended_at
        ]

    @staticmethod
    def carried(row: AlertRecord, finding: WasteEpisode, window_start: int | None) -> dict | None:
        """The numbers of an ongoing creep alert whose beginning has left the scanned window
        (which began at ``window_start``), None when the finding's own numbers stand.

        A creep is measured over the training window (28 days); one that has lasted longer is
        found again from a later start, and replacing the alert's numbers would drop its first
        weeks. Then the alert keeps its start and numbers and adds the hours since its last
        update, from the new finding's hourly series.
        """
        if window_start is None or row.started_at >= window_start:
            return None
        if not (row.kind == finding.kind == BASE_LOAD_CREEP and row.ongoing and finding.started_at > row.started_at):
            return None
        actual = expected = 0.0
        for point in finding.explanation.series:
            if row.ended_at <= point.ts < finding.ended_at and point.actual_kwh is not None and point.expected_kwh is not None:
                actual += point.actual_kwh
                expected += point.expected_kwh
        added = actual - expected
        share = added / finding.wasted_kwh if finding.wasted_kwh else 0.0
        return {
            "started_at": row.started_at,
            "actual_kwh": round(row.actual_kwh + actual, 3),
            "expected_kwh": round(row.expected_kwh + expected, 3),
            "wasted_kwh": round(row.wasted_kwh + added, 3),
            "cost_cny": round(row.cost_cny + share * finding.cost_cny, 2),
            "co2e_kg": round(row.co2e_kg + added * finding.factor_kg_per_kwh, 3),
        }
