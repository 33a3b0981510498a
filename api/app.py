"""The application factory: everything the app uses is handed in, nothing is built at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from core.store.base import SeriesStore
from api.bootstrap import ensure_admin_key
from api.metrics import AccessMiddleware, ApiMetrics
from api.metrics import router as metrics_router
from api.problems import install_problem_handlers
from api.routes import alerts, carbon, dashboard, health, series, sites
from api.routes.dashboard import STATIC_DIR

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

_DESCRIPTION = """
kilowatch watches the energy meters of public spaces (corridors, lobbies, garages,
pumps, HVAC) of property sites and finds wasted energy.

* **Alerts**: waste episodes found by the detector, with the waste in kWh, CNY and
  kg CO2e and an explanation in English and Chinese. Managers acknowledge and resolve them.
* **Carbon**: Scope 1 (gas) and location-based Scope 2 (grid electricity) emissions
  with the published factor, its source and data year.

Authenticate with an API key as `Authorization: Bearer kw_...` or `X-API-Key: kw_...`.
A key sees only its assigned sites; other sites answer 404 as if they did not exist.
Errors are RFC 9457 problem documents (`application/problem+json`).
"""

_TAGS = [
    {"name": "health", "description": "Liveness and readiness probes (no key)."},
    {"name": "sites", "description": "Property sites and their meters."},
    {"name": "alerts", "description": "Waste episodes: list, inspect, acknowledge, resolve."},
    {"name": "carbon", "description": "Energy and emissions with the factors used."},
    {"name": "series", "description": "Hourly consumption for charts."},
    {"name": "metrics", "description": "Prometheus metrics (admin keys)."},
]


def create_app(settings: Settings, store: SeriesStore, sessions: sessionmaker[Session]) -> FastAPI:
    """The kilowatch HTTP API and dashboard over the given store and database sessions."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ensure_admin_key(sessions, settings.api.admin_key)
        yield

    app = FastAPI(
        title="kilowatch API",
        version="1.0.0",
        summary="Wasted energy and carbon of property sites.",
        description=_DESCRIPTION,
        openapi_tags=_TAGS,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.sessions = sessions
    app.state.metrics = ApiMetrics()

    install_problem_handlers(app)
    app.add_middleware(AccessMiddleware, metrics=app.state.metrics)

    for module in (health, sites, alerts, carbon, series):
        app.include_router(module.router, prefix=API_PREFIX)
        app.state.metrics.name_routes(API_PREFIX, module.router)
    app.include_router(metrics_router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
