"""Alert payloads: list items, the detail with its explanation and history, and the page of a list."""

from __future__ import annotations

import enum
import json
import logging
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Row

from api.schemas.common import JsonInt, utc
from core.alerts import AlertStatus, Verification
from core.calendar import local_minute
from core.db.tables import AlertEventRecord, AlertRecord
from core.severity import public_severity
from core.timebase import HOME_TIMEZONE

log = logging.getLogger(__name__)


class Severity(str, enum.Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class AlertSort(str, enum.Enum):
    """Sort keys; a leading minus sorts descending."""

    WASTE_DESC = "-wasted_kwh"
    WASTE_ASC = "wasted_kwh"
    STARTED_DESC = "-started_at"
    STARTED_ASC = "started_at"
    #: For a consumer that syncs with ``updated_since``: oldest change first, so a page boundary
    #: never skips an alert that changed while it paged.
    UPDATED_ASC = "updated_at"
    UPDATED_DESC = "-updated_at"


class SeriesSamplePublic(BaseModel):
    """One interval of the episode's neighbourhood: what was used against what was expected."""

    ts: datetime
    actual_kwh: float | None = Field(examples=[3.1])
    expected_kwh: float | None = Field(examples=[0.4])


class ExplanationPublic(BaseModel):
    """Why the detector raised the alert, in English and Chinese."""

    model_config = ConfigDict(extra="allow")

    check: str | None = Field(default=None, examples=["baseline_excess"])
    actual_kwh: float | None = Field(default=None, examples=[42.0])
    expected_kwh: float | None = Field(default=None, examples=[12.5])
    since: datetime | None = None
    until: datetime | None = None
    text_en: str | None = Field(default=None, examples=["Corridor lights stayed on all night."])
    text_zh: str | None = Field(default=None, examples=["走廊照明整夜未关。"])
    series: list[SeriesSamplePublic] | None = Field(
        default=None, description="Actual against expected energy around the episode, for the chart."
    )

    @classmethod
    def parse(cls, alert_id: int, raw: str, detected_at: int | None = None) -> ExplanationPublic | None:
        """The stored JSON explanation, or None (logged) when it is missing or malformed.

        With the alert's ``detected_at`` column, it carries the detection time as it always
        has: ``detected_ts`` (epoch seconds) and ``detected_at`` (local to the site, to the minute).
        """
        if not raw:
            return None
        try:
            data = json.loads(raw)
            if detected_at is not None and isinstance(data, dict):
                zone = data.get("tz")
                data["detected_at"] = local_minute(detected_at, zone if isinstance(zone, str) else HOME_TIMEZONE)
                data["detected_ts"] = detected_at
            return cls.model_validate(data)
        except (ValueError, KeyError, ValidationError):  # KeyError: a zone ZoneInfo does not know
            log.warning("alert %s has a malformed explanation; served without it", alert_id)
            return None


class AlertPublic(BaseModel):
    """One waste episode on one meter."""

    id: int = Field(examples=[17])
    site_id: str = Field(examples=["sh-xuhui-01"])
    meter_id: str = Field(examples=["sh-xuhui-01-corridor-1"])
    meter_name: str | None = Field(
        default=None,
        description="The meter's name as its gateway announced it; null when none was announced.",
        examples=["走廊照明1"],
    )
    category: str = Field(examples=["corridor_lighting"])
    kind: str = Field(description="Which check fired.", examples=["baseline_excess"])
    status: AlertStatus
    severity: Severity = Field(
        description="From the energy and money wasted and how long the waste has run (docs/api.md, Severity)."
    )
    started_at: datetime
    ended_at: datetime = Field(description="End of the last interval seen (exclusive).")
    ongoing: bool = Field(description="True while the episode may still grow.")
    actual_kwh: float = Field(examples=[42.0])
    expected_kwh: float = Field(examples=[12.5])
    wasted_kwh: float = Field(examples=[29.5])
    cost_cny: float = Field(examples=[25.08])
    co2e_kg: float = Field(
        description="Emissions of the wasted energy: wasted_kwh x the site's grid factor. China's published grid "
        "factors count CO2 only (CH4 and N2O would add about 0.5 % for coal-fired power, by IPCC defaults), so this is "
        "CO2 reported as CO2e.",
        examples=[15.65],
    )
    factor_kg_per_kwh: float = Field(description="Emission factor used for co2e_kg.", examples=[0.5306])
    factor_source: str = Field(examples=["MEE&NBS 公告2025年第47号"])
    created_at: datetime
    updated_at: datetime
    assignee: str | None = Field(default=None, examples=["wang.li"])
    snoozed_until: datetime | None = Field(default=None, description="Hidden from the inbox until then.")
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    reopened: int = Field(default=0, description="How often it came back after being resolved.")
    verification: Verification | None = Field(
        default=None, description="After resolving: watching, verified or failed.", examples=[Verification.WATCHING]
    )
    feedback: str | None = Field(default=None, description="`not_waste` when a manager said so.")
    escalated_at: datetime | None = None

    @classmethod
    def of(cls, record: AlertRecord | Row[Any], meter_name: str | None = None) -> AlertPublic:
        """From a record, or a row that may carry ``meter_name`` itself (the inbox joins it)."""
        return cls(**_common_fields(record, meter_name))


class AlertEventPublic(BaseModel):
    """One entry of an alert's history."""

    id: int
    at: datetime
    actor: str = Field(description="User, `key:<name>` or `detector`.", examples=["wang.li"])
    action: str = Field(examples=["acknowledged"])
    detail: Any = Field(default=None, description="A comment's text, or the action's details.")

    @classmethod
    def of(cls, record: AlertEventRecord) -> AlertEventPublic:
        detail: Any = record.detail or None
        if detail and detail.startswith("{"):
            try:
                detail = json.loads(detail)
            except ValueError:
                pass
        return cls(id=record.id, at=utc(record.at), actor=record.actor, action=record.action, detail=detail)


class AlertDetailPublic(AlertPublic):
    """An alert with the detector's explanation and its history, oldest first."""

    explanation: ExplanationPublic | None
    history: list[AlertEventPublic] = Field(default_factory=list)

    @classmethod
    def of(
        cls, record: AlertRecord | Row[Any], meter_name: str | None = None, history: list[AlertEventRecord] | None = None
    ) -> AlertDetailPublic:
        return cls(
            **_common_fields(record, meter_name),
            explanation=ExplanationPublic.parse(record.id, record.explanation, record.detected_at),
            history=[AlertEventPublic.of(e) for e in history or []],
        )


class AlertsPublic(BaseModel):
    """One page of alerts; ``total`` counts every alert matching the filters."""

    data: list[AlertPublic]
    total: int = Field(examples=[83])
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])


def _common_fields(record: AlertRecord | Row[Any], meter_name: str | None = None) -> dict:
    return {
        "id": record.id,
        "site_id": record.site_id,
        "meter_id": record.meter_id,
        # An empty name is "not announced": the dashboard then shows the id alone.
        "meter_name": meter_name or getattr(record, "meter_name", None) or None,
        "category": record.category,
        "kind": record.kind,
        "status": record.status,
        # What is at stake (kWh, CNY, duration), not the detector's rate-based label.
        "severity": public_severity(record.wasted_kwh, record.cost_cny, record.ended_at - record.started_at),
        "started_at": utc(record.started_at),
        "ended_at": utc(record.ended_at),
        "ongoing": record.ongoing,
        "actual_kwh": record.actual_kwh,
        "expected_kwh": record.expected_kwh,
        "wasted_kwh": record.wasted_kwh,
        "cost_cny": record.cost_cny,
        "co2e_kg": record.co2e_kg,
        "factor_kg_per_kwh": record.factor_kg_per_kwh,
        "factor_source": record.factor_source,
        "created_at": utc(record.created_at),
        "updated_at": utc(record.updated_at),
        "assignee": record.assignee,
        "snoozed_until": _maybe_utc(record.snoozed_until),
        "acknowledged_at": _maybe_utc(record.acknowledged_at),
        "resolved_at": _maybe_utc(record.resolved_at),
        "reopened": record.reopened or 0,
        "verification": record.verification,
        "feedback": record.feedback,
        "escalated_at": _maybe_utc(record.escalated_at),
    }


def _maybe_utc(ts: int | None) -> datetime | None:
    return utc(ts) if ts is not None else None


class AssignBody(BaseModel):
    """Who takes the alert; null un-assigns."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"assignee": "wang.li"}]})

    assignee: str | None = Field(max_length=100)


class CommentBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": "已通知保安关闭照明。"}]})

    text: str = Field(min_length=1, max_length=2000)


class NoteBody(BaseModel):
    """An optional note kept in the history."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "Timer fixed."}]})

    note: str | None = Field(default=None, max_length=2000)


class SnoozeBody(BaseModel):
    """Hide the alert from the inbox for a while."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"hours": 24}]})

    hours: float = Field(strict=True, gt=0, le=30 * 24, description="How long; at most 30 days.")
    note: str | None = Field(default=None, max_length=2000)


class FeedbackBody(BaseModel):
    """A manager's verdict that the alert is not waste; similar alerts are then suppressed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"verdict": "not_waste", "reason": "Night shift cleaning uses the lights.", "days": 90}]},
    )

    verdict: Literal["not_waste"] = "not_waste"
    reason: str = Field(default="", max_length=2000)
    days: JsonInt = Field(default=90, ge=1, le=366, description="How long similar alerts stay suppressed.")
    every_kind: bool = Field(default=False, strict=True, description="Suppress every kind on this meter, not just this one.")
