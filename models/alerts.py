"""Waste findings and how they become ``AlertRecord`` rows (one row per episode)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.db.tables import AlertRecord

HOUR = 3600
#: Waste rate relative to the meter's rated power: (ratio, severity), highest first.
#: Half the rated power wasted is a whole second machine running; a fifth is a zone
#: left on. Below that the waste is real but can wait for the weekly review.
SEVERITY_OF_RATED = ((0.5, "high"), (0.2, "medium"))
#: Waste rate relative to the expected draw, for meters without a rated power.
SEVERITY_OF_EXPECTED = ((1.0, "high"), (0.4, "medium"))


def severity(wasted_kwh: float, hours: int, *, rated_kw: float, expected_kwh: float) -> str:
    """low | medium | high from the mean excess power against rated (or expected) power."""
    excess_kw = wasted_kwh / max(hours, 1)
    if rated_kw > 0:
        ratio, table = excess_kw / rated_kw, SEVERITY_OF_RATED
    else:
        ratio, table = excess_kw / max(expected_kwh / max(hours, 1), 1e-6), SEVERITY_OF_EXPECTED
    return next((label for floor, label in table if ratio >= floor), "low")


@dataclass(frozen=True, slots=True)
class Finding:
    """One waste episode on one meter with its energy, cost and carbon, ready to store."""

    site_id: str
    meter_id: str
    category: str
    kind: str
    severity: str
    started_at: int
    ended_at: int
    ongoing: bool
    actual_kwh: float
    expected_kwh: float
    wasted_kwh: float
    cost_cny: float
    co2e_kg: float
    factor_kg_per_kwh: float
    factor_source: str
    explanation: str


@dataclass(slots=True)
class StoreCounts:
    opened: int = 0
    updated: int = 0
    closed: int = 0
    unchanged: int = 0


_UPDATED_FIELDS = (
    "severity", "started_at", "ended_at", "ongoing", "actual_kwh", "expected_kwh", "wasted_kwh",
    "cost_cny", "co2e_kg", "factor_kg_per_kwh", "factor_source", "explanation",
)


def _overlaps(row: AlertRecord, finding: Finding, slack_s: int) -> bool:
    return row.started_at < finding.ended_at + slack_s and finding.started_at < row.ended_at + slack_s


def store_findings(
    session: Session,
    *,
    site_id: str,
    findings: Iterable[Finding],
    scored_meters: Iterable[str],
    scan_start: int,
    wall_now: int,
    slack_s: int = 2 * HOUR,
) -> StoreCounts:
    """Upsert a site's findings as alerts and close the ongoing alerts no finding continues.

    A finding updates the alert of the same meter and kind whose hours it overlaps (or
    touches within ``slack_s``), so repeated passes and a baseline that shifts an
    episode's first hour by one both update one row. Frozen alerts (``ongoing`` False)
    are history and stay as they are; ``status`` is the API's and is never changed.
    """
    counts = StoreCounts()
    rows = list(
        session.scalars(
            select(AlertRecord).where(
                AlertRecord.site_id == site_id,
                or_(AlertRecord.ongoing.is_(True), AlertRecord.ended_at >= scan_start - slack_s),
            )
        )
    )
    matched: set[int] = set()
    for finding in findings:
        candidates = [r for r in rows if r.meter_id == finding.meter_id and r.kind == finding.kind]
        row = next((r for r in candidates if r.started_at == finding.started_at), None)
        row = row or next((r for r in candidates if r.id not in matched and _overlaps(r, finding, slack_s)), None)
        if row is None:
            row = AlertRecord(status="open", created_at=wall_now, updated_at=wall_now, **_values(finding))
            session.add(row)
            session.flush()
            rows.append(row)
            counts.opened += 1
        elif not row.ongoing:
            counts.unchanged += 1
        else:
            # The newest pass re-scored the whole episode (the scan reaches back to an
            # ongoing alert's start), so its numbers, start included, replace the old ones.
            for name in _UPDATED_FIELDS:
                setattr(row, name, getattr(finding, name))
            row.updated_at = wall_now
            if finding.ongoing:
                counts.updated += 1
            else:
                counts.closed += 1
        matched.add(row.id)
    scored = set(scored_meters)
    for row in rows:
        if row.ongoing and row.id not in matched and row.meter_id in scored:
            # Scored again and not seen: consumption is back to normal, freeze the alert.
            row.ongoing = False
            row.updated_at = wall_now
            counts.closed += 1
    return counts


def _values(finding: Finding) -> dict[str, object]:
    return {
        "site_id": finding.site_id,
        "meter_id": finding.meter_id,
        "category": finding.category,
        "kind": finding.kind,
        **{name: getattr(finding, name) for name in _UPDATED_FIELDS},
    }
