"""How findings become alerts: opened, updated, closed, escalated, reopened, verified.

One ``AlertRecord`` per waste episode. Every change the detector makes is also written
as an ``AlertEventRecord`` with actor "detector", so an alert carries its own history.
``status`` belongs to people (the API) except when a resolved alert's waste comes back:
then the detector reopens it (``reopened`` + 1, ``verification`` "failed").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from core.alerts import AlertStatus, Verification, record_event
from core.db.tables import AlertEventRecord, AlertRecord
from core.timebase import HOUR
from models.creep_policy import CreepPolicy
from models.episodes import SEVERITY_RANK, UPDATED_FIELDS, WasteEpisode
from models.residual import DEFAULT_MAX_GAP_HOURS

ACTOR = "detector"
#: Hours after a resolution during which a returning episode of the same kind reopens the
#: alert; once the data covers them without one, the fix is verified. Two days see one
#: more working day and one more night whatever the day of the week.
VERIFY_HOURS = 48


class MergePolicy(Protocol):
    """Which alerts of a meter a finding may continue, for findings whose episodes are not hourly
    runs (a creep measured over days); ``models.creep_policy.CreepPolicy`` is the one in use."""

    #: What the policy's alerts are called in an event's reason ("base-load creep").
    noun: str

    def explains(self, finding: WasteEpisode, rows: list[AlertRecord]) -> bool: ...
    def closed_to(self, row: AlertRecord, finding: WasteEpisode) -> bool: ...
    def same_kind(self, finding: WasteEpisode, same: list[AlertRecord], rows: list[AlertRecord]) -> list[AlertRecord]: ...
    def crosses_kind(self, row: AlertRecord, finding: WasteEpisode) -> bool: ...
    def absorbs(self, row: AlertRecord, rows: list[AlertRecord]) -> list[AlertRecord]: ...
    def carried(self, row: AlertRecord, finding: WasteEpisode, window_start: int | None) -> dict | None: ...


@dataclass(slots=True)
class StoreCounts:
    opened: int = 0
    updated: int = 0
    closed: int = 0
    unchanged: int = 0
    reopened: int = 0
    verified: int = 0
    escalated: int = 0
    suppressed: int = 0


def _event(session: Session, row: AlertRecord, at: int, action: str, **detail: object) -> None:
    """The detector's history entry: ``core.alerts.record_event``, which also marks the alert changed."""
    record_event(session, row, ACTOR, action, detail, at)


#: An alert and a finding of its kind this close are one episode: the residual detector bridges
#: up to ``DEFAULT_MAX_GAP_HOURS`` normal hours inside an episode, so an alert ending at 18:00 (its
#: last hour 17:00) and a finding from 20:00 are one when the hours between are re-scored normal.
#: It was 2 h, an hour short: a lift's idle night re-scored from 20:00 instead of 16:00 opened a
#: second alert, and the two took the episode in turns (realistic seed 65537).
SLACK_S = (DEFAULT_MAX_GAP_HOURS + 1) * HOUR


def _overlaps(row: AlertRecord, finding: WasteEpisode, slack_s: int) -> bool:
    return row.started_at < finding.ended_at + slack_s and finding.started_at < row.ended_at + slack_s


def _held(finding: WasteEpisode, rows: list[AlertRecord]) -> bool:
    """Whether a frozen alert of the finding's kind in ``rows`` holds all of it: history already
    told. A refitted baseline may split a past episode in two (a landscape light on 07:00-14:00
    re-scored as 07:00-08:00 and 11:00-14:00); the first piece keeps the alert, and the second must
    not open another on the same waste (realistic seed 48611)."""
    return not finding.ongoing and any(
        r.kind == finding.kind
        and not r.ongoing
        and not _watching(r)
        and r.started_at <= finding.started_at
        and finding.ended_at <= r.ended_at
        for r in rows
    )


def _watching(row: AlertRecord) -> bool:
    return (
        row.status == AlertStatus.RESOLVED and row.resolved_at is not None and row.verification in (None, Verification.WATCHING)
    )


def _resolved_at(row: AlertRecord) -> int:
    """When a watching alert was resolved (``_watching`` checked there is a time)."""
    assert row.resolved_at is not None
    return row.resolved_at


class AlertBook:
    """Upserts one site's findings in one transaction (see module docstring for the rules)."""

    def __init__(
        self,
        session: Session,
        site_id: str,
        *,
        wall_now: int,
        slack_s: int = SLACK_S,
        verify_hours: int = VERIFY_HOURS,
        window_start: int | None = None,
        policy: MergePolicy | None = None,
    ) -> None:
        self.session, self.site_id, self.now, self.slack_s = session, site_id, wall_now, slack_s
        #: First hour the pass scanned for creeps (its training window): a creep alert that
        #: began before it is carried on, not replaced (see MergePolicy.carried).
        self.window_start = window_start
        self.policy: MergePolicy = policy or CreepPolicy()
        self.verify_s = verify_hours * HOUR
        self.counts = StoreCounts()
        #: The alerts the current ``store`` call loaded (see ``_holder``).
        self._loaded: list[AlertRecord] = []

    def rows(self, scan_start: int) -> list[AlertRecord]:
        return list(
            self.session.scalars(
                select(AlertRecord).where(
                    AlertRecord.site_id == self.site_id,
                    or_(
                        AlertRecord.ongoing.is_(True),
                        AlertRecord.ended_at >= scan_start - self.slack_s,
                        (AlertRecord.status == AlertStatus.RESOLVED) & AlertRecord.verification.is_(None),
                        AlertRecord.verification == Verification.WATCHING,
                    ),
                )
            )
        )

    def store(
        self,
        findings: Iterable[WasteEpisode],
        *,
        scored_meters: Iterable[str],
        scan_start: int,
        data_end: int,
        suppressed: Callable[[WasteEpisode], bool] = lambda f: False,
    ) -> StoreCounts:
        """Apply a pass's findings; close what no finding continues; verify what stayed fixed."""
        findings = list(findings)
        rows = self.rows(min([scan_start, *(f.started_at for f in findings)]))
        self._loaded = rows
        matched: set[int] = set()
        for finding in findings:
            # A resolved alert being watched stays open to its waste coming back (it reopens).
            meter = [
                r for r in rows if r.meter_id == finding.meter_id and (_watching(r) or not self.policy.closed_to(r, finding))
            ]
            if self.policy.explains(finding, meter) or _held(finding, meter):
                self.counts.unchanged += 1
                continue
            row = self._match(finding, meter, matched, rows)
            if row is None:
                if suppressed(finding):
                    self.counts.suppressed += 1
                    continue
                row = self._open(finding)
                rows.append(row)
            else:
                self._apply(row, finding)
            matched.add(row.id)
            for gone in self._absorb(row, [r for r in meter if r.id not in matched]):
                rows.remove(gone)
        scored = set(scored_meters)
        for row in rows:
            if row.ongoing and row.id not in matched and row.meter_id in scored:
                # Scored again and not seen: consumption is back to normal, freeze the numbers.
                row.ongoing = False
                row.updated_at = self.now
                _event(self.session, row, self.now, "closed", wasted_kwh=row.wasted_kwh)
                self.counts.closed += 1
            elif _watching(row) and row.id not in matched and row.meter_id in scored:
                self._verify(row, data_end)
        return self.counts

    def _match(
        self, finding: WasteEpisode, meter: list[AlertRecord], matched: set[int], rows: list[AlertRecord]
    ) -> AlertRecord | None:
        """The alert ``finding`` continues, if any: same start, an overlap, the same episode by policy, a watched fix."""
        same = self.policy.same_kind(finding, [r for r in meter if r.kind == finding.kind], meter)
        row = next((r for r in same if r.started_at == finding.started_at), None)
        row = row or next(
            (r for r in same if r.id not in matched and not _watching(r) and _overlaps(r, finding, self.slack_s)), None
        )
        # An overlapping alert of another kind, where the policy calls it the same episode.
        row = row or next(
            (
                r
                for r in meter
                if r.id not in matched and not _watching(r) and self.policy.crosses_kind(r, finding) and _overlaps(r, finding, 0)
            ),
            None,
        )
        if row is None:
            row = next(
                (
                    r
                    for r in same
                    if _watching(r)
                    and r.id not in matched
                    and _resolved_at(r) <= finding.ended_at
                    and finding.started_at <= _resolved_at(r) + self.verify_s
                ),
                None,
            )
        if row is None:
            # An alert the scan did not load may hold the very key (meter, kind, start).
            row = self._holder(finding.meter_id, finding.kind, finding.started_at)
            if row is not None and row not in rows:
                rows.append(row)
        return row

    def _open(self, finding: WasteEpisode) -> AlertRecord:
        row = AlertRecord(
            site_id=finding.site_id,
            meter_id=finding.meter_id,
            category=finding.category,
            kind=finding.kind,
            status=AlertStatus.OPEN,
            created_at=self.now,
            updated_at=self.now,
            reopened=0,
            detected_at=finding.detected_at,
            **_measured(finding),
        )
        self.session.add(row)
        self.session.flush()
        _event(
            self.session,
            row,
            self.now,
            "opened",
            severity=finding.severity,
            wasted_kwh=finding.wasted_kwh,
            detected_at=finding.detected_at,
        )
        self.counts.opened += 1
        return row

    def _continues(self, row: AlertRecord, finding: WasteEpisode) -> bool:
        """Whether ``finding`` adds to ``row``; a watched fix that it outlasts is reopened."""
        if _watching(row):
            if finding.ended_at <= _resolved_at(row) + HOUR:
                return False  # the episode as it was before the fix: history
            row.status = AlertStatus.OPEN
            row.reopened = (row.reopened or 0) + 1
            row.verification = Verification.FAILED
            _event(
                self.session,
                row,
                self.now,
                "reopened",
                reason="waste continued after the alert was resolved",
                resolved_at=row.resolved_at,
                seen_until=finding.ended_at,
            )
            self.counts.reopened += 1
            return True
        # Frozen history, seen again by an overlapping scan, adds nothing.
        return row.ongoing or finding.ended_at > row.ended_at

    def _apply(self, row: AlertRecord, finding: WasteEpisode) -> None:
        if not self._continues(row, finding):
            self.counts.unchanged += 1
            return
        before = SEVERITY_RANK.get(row.severity, 0)
        was_ongoing = row.ongoing
        key = (row.kind, row.started_at)
        carried = self.policy.carried(row, finding, self.window_start)
        # The newest pass re-scored the whole episode, so its numbers, start included, replace the old.
        for name, value in _measured(finding).items():
            setattr(row, name, value)
        # A creep is judged at the end of the data on every pass, so its newest finding says
        # "detected now": the alert was raised when the first pass found it, and says so.
        row.detected_at = finding.detected_at if row.detected_at is None else min(row.detected_at, finding.detected_at)
        if carried is not None:
            for name, value in carried.items():
                setattr(row, name, value)
            told = finding.explanation.retold(
                started_at=row.started_at, actual_kwh=row.actual_kwh, expected_kwh=row.expected_kwh, cost_cny=row.cost_cny
            )
            row.explanation = told.as_json()
        row.kind = finding.kind
        if (row.kind, row.started_at) != key and self._holder(row.meter_id, row.kind, row.started_at, row) is not None:
            # Another alert of this kind on this meter starts there already (found in the same
            # pass, or older than the scan): this one keeps its own kind and start.
            row.kind, row.started_at = key
        row.updated_at = self.now
        if SEVERITY_RANK.get(finding.severity, 0) > before:
            row.escalated_at = self.now
            _event(self.session, row, self.now, "escalated", severity=finding.severity)
            self.counts.escalated += 1
        if finding.ongoing:
            _event(self.session, row, self.now, "updated", wasted_kwh=finding.wasted_kwh, until=finding.ended_at)
            self.counts.updated += 1
        else:
            if was_ongoing or row.status == AlertStatus.OPEN:
                _event(self.session, row, self.now, "closed", wasted_kwh=finding.wasted_kwh)
            self.counts.closed += 1

    def _absorb(self, row: AlertRecord, rows: list[AlertRecord]) -> list[AlertRecord]:
        """Merge into ``row`` the alerts the policy makes part of it, and return them (gone now).

        ``row`` measures their hours already: kept beside it (as they were, renamed to its
        kind) they reported one creep twice and counted its energy twice. The policy offers
        only finished alerts nobody has acted on; ``row``'s history names each one merged.
        """
        merged = self.policy.absorbs(row, rows)
        for other in merged:
            _event(
                self.session,
                row,
                self.now,
                "merged",
                alert_id=other.id,
                kind=other.kind,
                started_at=other.started_at,
                ended_at=other.ended_at,
                wasted_kwh=other.wasted_kwh,
                detected_at=other.detected_at,
                reason=f"part of the {self.policy.noun} of this alert",
            )
            self.session.execute(delete(AlertEventRecord).where(AlertEventRecord.alert_id == other.id))
            self.session.delete(other)
            self._loaded = [r for r in self._loaded if r is not other]
            self.counts.updated += 1
        if merged:
            self.session.flush()
        return merged

    def _holder(self, meter_id: str, kind: str, started_at: int, other_than: AlertRecord | None = None) -> AlertRecord | None:
        """The alert holding the unique key (meter, kind, start), as this pass has it now, if any.

        The scan's rows first (their kind or start may have changed in this pass), then the
        database for alerts the scan did not load.
        """

        def holds(r: AlertRecord) -> bool:
            return r is not other_than and (r.meter_id, r.kind, r.started_at) == (meter_id, kind, started_at)

        held = next((r for r in self._loaded if holds(r)), None)
        if held is not None:
            return held
        with self.session.no_autoflush:
            stored = self.session.scalars(
                select(AlertRecord).where(
                    AlertRecord.meter_id == meter_id, AlertRecord.kind == kind, AlertRecord.started_at == started_at
                )
            )
            return next((r for r in stored if holds(r)), None)

    def _verify(self, row: AlertRecord, data_end: int) -> None:
        if data_end >= _resolved_at(row) + self.verify_s:
            row.verification = Verification.VERIFIED
            row.updated_at = self.now
            _event(self.session, row, self.now, "verified", hours_checked=self.verify_s // HOUR)
            self.counts.verified += 1
        elif row.verification is None:
            row.verification = Verification.WATCHING
            row.updated_at = self.now


def _measured(finding: WasteEpisode) -> dict:
    """The alert columns a measurement of the episode sets, the explanation as its JSON."""
    values = {name: getattr(finding, name) for name in UPDATED_FIELDS}
    values["explanation"] = finding.explanation.as_json()
    return values
