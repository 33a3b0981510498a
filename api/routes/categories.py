"""Meter categories: labels, units and checks, from the one table in core/categories.py."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentKey
from api.schemas.categories import CategoriesPublic, CategoryPublic
from api.schemas.common import problem_responses
from core.categories import CATEGORIES

router = APIRouter(prefix="/categories", tags=["categories"], responses=problem_responses(401))


@router.get("", summary="List meter categories", response_model=CategoriesPublic)
def list_categories(_caller: CurrentKey) -> CategoriesPublic:
    """Every meter category with its Chinese and English labels, unit and the waste checks that apply."""
    return CategoriesPublic(categories=[CategoryPublic.of(row) for row in CATEGORIES.values()])
