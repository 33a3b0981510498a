"""Liveness and readiness payloads."""

from __future__ import annotations

from pydantic import BaseModel, Field


class HealthPublic(BaseModel):
    status: str = Field(examples=["ok"])
    version: str = Field(examples=["0.1.0"])


class ReadinessPublic(BaseModel):
    status: str = Field(examples=["ready"])
    checks: dict[str, str] = Field(examples=[{"store": "ok", "database": "ok"}])
