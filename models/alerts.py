"""How findings become alerts: opened, updated, closed, escalated, reopened, verified.

One ``AlertRecord`` per waste episode. Every change the detector makes is also written
as an ``AlertEventRecord`` with actor "detector", so an alert carries its own history.
``status`` belongs to people (the API) except when a resolved alert's waste comes back:
then the detector reopens it (``reopened`` + 1, ``verification`` "failed").
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.db.tables import AlertEventRecord, AlertRecord
from models.explain import restated
from models.findings import HOUR, SEVERITY_RANK, UPDATED_FIELDS, Finding
from models.kinds import BASE_LOAD_CREEP

ACTOR = "detector"
#: Hours after a resolution during which a returning episode of the same kind reopens the
#: alert; once the data covers them without one, the fix is verified. Two days see one
#: more working day and one more night whatever the day of the week.
VERIFY_HOURS = 48
#: A base-load creep alert spanning this long is a creep, whatever a later pass finds inside it.
ESTABLISHED_CREEP_S = 4 * 86400
#: A creep found starting in the last this-long of a closed creep alert of its meter is a new
#: creep: a fixed creep is followed until its last two days drop, a day or so after the fix,
#: and one that begins right after (the same worn part again) starts inside that day.
NEW_CREEP_S = 2 * 86400


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
    session.add(AlertEventRecord(alert_id=row.id, at=at, actor=ACTOR, action=action,
                                 detail=json.dumps(detail, ensure_ascii=False) if detail else ""))


def _overlaps(row: AlertRecord, finding: Finding, slack_s: int) -> bool:
    return row.started_at < finding.ended_at + slack_s and finding.started_at < row.ended_at + slack_s


def _watching(row: AlertRecord) -> bool:
    return row.status == "resolved" and row.resolved_at is not None and row.verification in (None, "watching")


class AlertBook:
    """Upserts one site's findings in one transaction (see module docstring for the rules)."""

    def __init__(self, session: Session, site_id: str, *, wall_now: int, slack_s: int = 2 * HOUR,
                 verify_hours: int = VERIFY_HOURS, window_start: int | None = None) -> None:
        self.session, self.site_id, self.now, self.slack_s = session, site_id, wall_now, slack_s
        #: First hour the pass scanned for creeps (its training window): a creep alert that
        #: began before it is carried on, not replaced (see _carried_creep).
        self.window_start = window_start
        self.verify_s = verify_hours * HOUR
        self.counts = StoreCounts()
        #: The alerts the current ``store`` call loaded (see ``_holder``).
        self._loaded: list[AlertRecord] = []

    def rows(self, scan_start: int) -> list[AlertRecord]:
        return list(self.session.scalars(select(AlertRecord).where(
            AlertRecord.site_id == self.site_id,
            or_(AlertRecord.ongoing.is_(True), AlertRecord.ended_at >= scan_start - self.slack_s,
                (AlertRecord.status == "resolved") & AlertRecord.verification.is_(None),
                AlertRecord.verification == "watching"))))

    def store(
        self,
        findings: Iterable[Finding],
        *,
        scored_meters: Iterable[str],
        scan_start: int,
        data_end: int,
        suppressed: Callable[[Finding], bool] = lambda f: False,
    ) -> StoreCounts:
        """Apply a pass's findings; close what no finding continues; verify what stayed fixed."""
        findings = list(findings)
        rows = self.rows(min([scan_start, *(f.started_at for f in findings)]))
        self._loaded = rows
        matched: set[int] = set()
        for finding in findings:
            meter = [r for r in rows if r.meter_id == finding.meter_id and not _creep_after(r, finding)]
            if _explained_by_creep(finding, meter):
                # A pass that no longer sees the creep (it was fixed) re-scores its days and finds
                # their excess night by night: that excess is the creep's, already alerted.
                self.counts.unchanged += 1
                continue
            same = [r for r in meter if r.kind == finding.kind]
            if finding.kind == BASE_LOAD_CREEP:
                # The creep's own alert, not a night it absorbed (see _absorb), continues it.
                same.sort(key=lambda r: (not r.ongoing, r.started_at - r.ended_at))
            row = next((r for r in same if r.started_at == finding.started_at), None)
            row = row or next((r for r in same if r.id not in matched and not _watching(r)
                               and _overlaps(r, finding, self.slack_s)), None)
            # A growing episode may change kind (night lights still on after sunrise): same alert.
            # A scan starting inside a frozen episode sees its tail, maybe of another kind: same alert.
            row = row or next((r for r in meter if r.id not in matched and not _watching(r)
                               and _overlaps(r, finding, 0)), None)
            if row is None:
                row = next((r for r in same if _watching(r) and r.id not in matched
                            and r.resolved_at <= finding.ended_at
                            and finding.started_at <= r.resolved_at + self.verify_s), None)
            if row is None:
                # An alert the scan did not load may hold the very key (meter, kind, start).
                row = self._holder(finding.meter_id, finding.kind, finding.started_at)
                if row is not None and row not in rows:
                    rows.append(row)
            if row is None:
                if suppressed(finding):
                    self.counts.suppressed += 1
                    continue
                row = self._open(finding)
                rows.append(row)
            else:
                self._apply(row, finding)
            matched.add(row.id)
            if row.kind == BASE_LOAD_CREEP:
                self._absorb(row, [r for r in meter if r.id not in matched])
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

    def _open(self, finding: Finding) -> AlertRecord:
        values = {name: getattr(finding, name) for name in UPDATED_FIELDS}
        row = AlertRecord(site_id=finding.site_id, meter_id=finding.meter_id, category=finding.category,
                          kind=finding.kind, status="open", created_at=self.now, updated_at=self.now,
                          reopened=0, **values)
        self.session.add(row)
        self.session.flush()
        _event(self.session, row, self.now, "opened", severity=finding.severity, wasted_kwh=finding.wasted_kwh,
               detected_at=finding.detected_at)
        self.counts.opened += 1
        return row

    def _apply(self, row: AlertRecord, finding: Finding) -> None:
        if _watching(row):
            if finding.ended_at <= row.resolved_at + HOUR:
                self.counts.unchanged += 1  # the episode as it was before the fix: history
                return
            row.status = "open"
            row.reopened = (row.reopened or 0) + 1
            row.verification = "failed"
            _event(self.session, row, self.now, "reopened", reason="waste continued after the alert was resolved",
                   resolved_at=row.resolved_at, seen_until=finding.ended_at)
            self.counts.reopened += 1
        elif not row.ongoing and finding.ended_at <= row.ended_at:
            self.counts.unchanged += 1  # frozen history, seen again by an overlapping scan
            return
        before = SEVERITY_RANK.get(row.severity, 0)
        was_ongoing = row.ongoing
        key = (row.kind, row.started_at)
        first_detected = _detected(row.explanation)
        carried = _carried_creep(row, finding) if self.window_start is not None and row.started_at < self.window_start else None
        # The newest pass re-scored the whole episode, so its numbers, start included, replace the old.
        for name in UPDATED_FIELDS:
            setattr(row, name, getattr(finding, name))
        row.explanation = _keep_detected(row.explanation, first_detected)
        if carried is not None:
            for name, value in carried.items():
                setattr(row, name, value)
            row.explanation = restated(row.explanation, started_at=row.started_at, actual_kwh=row.actual_kwh,
                                       expected_kwh=row.expected_kwh, cost_cny=row.cost_cny)
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
            if was_ongoing or row.status == "open":
                _event(self.session, row, self.now, "closed", wasted_kwh=finding.wasted_kwh)
            self.counts.closed += 1

    def _absorb(self, creep: AlertRecord, rows: list[AlertRecord]) -> None:
        """Alerts of another kind that an established creep alert now spans become part of it.

        Before a creep is found, a night of its ramp can pass another check (a compressor
        above its baseline reads as a leak); once the creep spans four days and holds that
        night, the night was the creep. Only finished alerts nobody has acted on change,
        and each says so in an event.
        """
        if creep.ended_at - creep.started_at < ESTABLISHED_CREEP_S:
            return
        for row in rows:
            if (row.kind != BASE_LOAD_CREEP and not row.ongoing and row.status == "open"
                    and creep.started_at <= row.started_at and row.ended_at <= creep.ended_at
                    and self._holder(row.meter_id, BASE_LOAD_CREEP, row.started_at, row) is None):
                _event(self.session, row, self.now, "updated", kind=BASE_LOAD_CREEP, was=row.kind,
                       reason=f"part of the base-load creep of alert {creep.id}")
                row.kind = BASE_LOAD_CREEP
                row.updated_at = self.now
                self.counts.updated += 1

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
            stored = self.session.scalars(select(AlertRecord).where(
                AlertRecord.meter_id == meter_id, AlertRecord.kind == kind, AlertRecord.started_at == started_at))
            return next((r for r in stored if holds(r)), None)

    def _verify(self, row: AlertRecord, data_end: int) -> None:
        if data_end >= row.resolved_at + self.verify_s:
            row.verification = "verified"
            row.updated_at = self.now
            _event(self.session, row, self.now, "verified", hours_checked=self.verify_s // HOUR)
            self.counts.verified += 1
        elif row.verification is None:
            row.verification = "watching"
            row.updated_at = self.now


def _explained_by_creep(finding: Finding, rows: list[AlertRecord]) -> bool:
    """True for a finding of another kind that starts inside an established base-load creep alert
    of its meter. A creep alert shorter than ESTABLISHED_CREEP_S yields instead: a few nights of
    another waste can pass for a ramp for a day or two, and re-scoring then names them right."""
    return finding.kind != BASE_LOAD_CREEP and any(
        r.kind == BASE_LOAD_CREEP and r.ended_at - r.started_at >= ESTABLISHED_CREEP_S
        and r.started_at <= finding.started_at < r.ended_at for r in rows)


def _creep_after(row: AlertRecord, finding: Finding) -> bool:
    """True for a creep finding that starts in the last NEW_CREEP_S of a closed creep alert, or
    after it: a new creep after the old one was fixed, which must not take over (and move) the
    old alert. Not for a resolved alert being watched: a creep coming back reopens it."""
    return (finding.kind == row.kind == BASE_LOAD_CREEP and not row.ongoing and not _watching(row)
            and max(row.started_at + 1, row.ended_at - NEW_CREEP_S) <= finding.started_at)


def _detected(explanation: str | None) -> tuple[int, str] | None:
    try:
        data = json.loads(explanation or "")
        return int(data["detected_ts"]), data["detected_at"]
    except (ValueError, KeyError, TypeError):
        return None


def _keep_detected(explanation: str, first: tuple[int, str] | None) -> str:
    """The explanation with the alert's first detection time if an earlier pass had one.

    A creep is judged at the end of the data on every pass, so its newest finding says
    "detected now": the alert was raised when the first pass found it, and says so.
    """
    now = _detected(explanation)
    if first is None or now is None or first[0] >= now[0]:
        return explanation
    data = json.loads(explanation)
    data["detected_ts"], data["detected_at"] = first
    return json.dumps(data, ensure_ascii=False)


def _carried_creep(row: AlertRecord, finding: Finding) -> dict | None:
    """The numbers of an ongoing creep alert whose beginning has left the scanned window
    (the caller checks that).

    A creep is measured over the training window (28 days); one that has lasted longer is
    found again from a later start, and replacing the alert's numbers would drop its first
    weeks. Then the alert keeps its start and numbers and adds the hours since its last
    update, from the new finding's hourly series.
    """
    if not (row.kind == finding.kind == BASE_LOAD_CREEP and row.ongoing and finding.started_at > row.started_at):
        return None
    try:
        series = json.loads(finding.explanation)["series"]
    except (ValueError, KeyError, TypeError):
        return None
    actual = expected = 0.0
    for point in series:
        ts = int(datetime.strptime(point["ts"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
        if row.ended_at <= ts < finding.ended_at and point["actual_kwh"] is not None and point["expected_kwh"] is not None:
            actual += point["actual_kwh"]
            expected += point["expected_kwh"]
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
