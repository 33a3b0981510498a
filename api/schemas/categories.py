"""Meter category payloads: the table of core/categories.py as the dashboard reads it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.categories import CategoryInfo


class CategoryLabels(BaseModel):
    zh: str = Field(examples=["走廊照明"])
    en: str = Field(examples=["Corridor lighting"])


class CategoryPublic(BaseModel):
    code: str = Field(description="As `category` on meters and alerts.", examples=["corridor_lighting"])
    labels: CategoryLabels
    unit: str = Field(description="kWh, or m3 for natural gas.", examples=["kWh"])
    checks: list[str] = Field(
        description="Waste kinds the detector may name on this category; empty: never judged as waste.",
        examples=[["lights_daylight", "lights_after_hours"]],
    )
    generates: bool = Field(description="Generates electricity (PV) rather than consuming it.", examples=[False])
    scored: bool = Field(description="The detector learns its baseline; alerts may name it (not PV, not gas).", examples=[True])

    @classmethod
    def of(cls, row: CategoryInfo) -> CategoryPublic:
        return cls(
            code=row.code.value,
            labels=CategoryLabels(zh=row.zh, en=row.en),
            unit=row.unit,
            checks=[str(kind) for kind in row.checks],
            generates=row.generates,
            scored=row.scored,
        )


class CategoriesPublic(BaseModel):
    categories: list[CategoryPublic] = Field(description="In the order the dashboard lists them.")
