"""Hourly consumption of one meter, for charts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SeriesPointPublic(BaseModel):
    """Energy reported by readings stamped within one hour; None when there were none."""

    at: datetime = Field(description="Start of the hour (UTC).")
    value: float | None = Field(examples=[3.2])


class SeriesPublic(BaseModel):
    """A meter's hourly energy over ``[start, end)``, every hour present."""

    site_id: str
    meter_id: str
    unit: str = Field(examples=["kWh"])
    interval_s: int = Field(examples=[3600])
    start: datetime
    end: datetime
    points: list[SeriesPointPublic]
