"""Liveness and readiness probes; no key needed so orchestrators can call them."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.problems import RETRY_AFTER_S, Problem
from api.schemas.common import problem_responses
from api.schemas.health import HealthPublic, ReadinessPublic
from core.store.base import StoreError

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


def _version() -> str:
    try:
        return version("kilowatch")
    except PackageNotFoundError:
        return "unknown"


@router.get("/health", summary="Liveness", response_model=HealthPublic)
def health() -> HealthPublic:
    """Answers while the process serves requests; checks nothing else."""
    return HealthPublic(status="ok", version=_version())


@router.get(
    "/ready",
    summary="Readiness",
    response_model=ReadinessPublic,
    responses=problem_responses(503),
)
def ready(request: Request) -> ReadinessPublic:
    """Ready when both the time-series store and the database answer; 503 otherwise."""
    checks = {"store": "ok", "database": "ok"}
    try:
        request.app.state.store.ping()
    except (StoreError, OSError) as exc:
        log.warning("readiness: store not ready (%s)", type(exc).__name__)
        checks["store"] = "unavailable"
    try:
        with request.app.state.sessions() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("readiness: database not ready (%s)", type(exc).__name__)
        checks["database"] = "unavailable"
    if any(state != "ok" for state in checks.values()):
        failing = ", ".join(name for name, state in checks.items() if state != "ok")
        raise Problem(
            503,
            f"Not ready: {failing} unavailable.",
            kind="not-ready",
            headers={"Retry-After": str(RETRY_AFTER_S)},
            checks=checks,
        )
    return ReadinessPublic(status="ready", checks=checks)
