"""Alert payloads: list items, the detail with its explanation, and the page of a list."""

from __future__ import annotations

import enum
import json
import logging
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.db.tables import AlertRecord
from api.schemas.common import utc

log = logging.getLogger(__name__)


class AlertStatus(str, enum.Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


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

    @classmethod
    def parse(cls, alert_id: int, raw: str) -> ExplanationPublic | None:
        """The stored JSON explanation, or None (logged) when it is missing or malformed."""
        if not raw:
            return None
        try:
            return cls.model_validate(json.loads(raw))
        except (ValueError, ValidationError):
            log.warning("alert %s has a malformed explanation; served without it", alert_id)
            return None


class AlertPublic(BaseModel):
    """One waste episode on one meter."""

    id: int = Field(examples=[17])
    site_id: str = Field(examples=["sh-xuhui-01"])
    meter_id: str = Field(examples=["sh-xuhui-01-corridor-1"])
    category: str = Field(examples=["corridor_lighting"])
    kind: str = Field(description="Which check fired.", examples=["baseline_excess"])
    status: AlertStatus
    severity: Severity
    started_at: datetime
    ended_at: datetime = Field(description="End of the last interval seen (exclusive).")
    ongoing: bool = Field(description="True while the episode may still grow.")
    actual_kwh: float = Field(examples=[42.0])
    expected_kwh: float = Field(examples=[12.5])
    wasted_kwh: float = Field(examples=[29.5])
    cost_cny: float = Field(examples=[25.08])
    co2e_kg: float = Field(examples=[15.65])
    factor_kg_per_kwh: float = Field(description="Emission factor used for co2e_kg.", examples=[0.5306])
    factor_source: str = Field(examples=["MEE&NBS 公告2025年第47号"])
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: AlertRecord) -> AlertPublic:
        return cls(**_common_fields(record))


class AlertDetailPublic(AlertPublic):
    """An alert with the detector's explanation."""

    explanation: ExplanationPublic | None

    @classmethod
    def of(cls, record: AlertRecord) -> AlertDetailPublic:
        return cls(**_common_fields(record), explanation=ExplanationPublic.parse(record.id, record.explanation))


class AlertsPublic(BaseModel):
    """One page of alerts; ``total`` counts every alert matching the filters."""

    data: list[AlertPublic]
    total: int = Field(examples=[83])
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])


def _common_fields(record: AlertRecord) -> dict:
    return {
        "id": record.id,
        "site_id": record.site_id,
        "meter_id": record.meter_id,
        "category": record.category,
        "kind": record.kind,
        "status": record.status,
        "severity": record.severity,
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
    }
