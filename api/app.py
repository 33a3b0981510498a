"""The application factory: everything the app uses is handed in, nothing is built at import."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from api.admission import AdmissionMiddleware, pool_capacity
from api.body_limit import BodyLimitMiddleware
from api.bootstrap import ensure_admin_key
from api.deps import single_valued_query
from api.key_cache import KeyCache
from api.metrics import AccessMiddleware, ApiMetrics, router as metrics_router
from api.nul_guard import NulGuardMiddleware
from api.openapi_doc import install_openapi
from api.options import ApiOptions
from api.problems import install_problem_handlers
from api.response_cache import ResponseCache, ResponseCacheMiddleware
from api.rollup_keeper import LOCK_NAME, RollupKeeper
from api.routes import (
    alert_actions,
    alerts,
    auth,
    carbon,
    categories,
    dashboard,
    dead_letters,
    findings,
    health,
    series,
    sites,
    stream,
    weather,
    webhooks,
)
from api.routes.dashboard import STATIC_DIR
from api.routes.stream import OpenStreams
from api.signin_limits import FILE_NAME as SIGN_IN_FILE, SignInLimiter
from api.webhooks.outbox import Outbox
from core.settings import Settings
from core.store.base import SeriesStore

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

_DESCRIPTION = """
kilowatch watches the energy meters of public spaces (corridors, lobbies, garages,
pumps, HVAC) of property sites and finds wasted energy.

* **Alerts**: waste episodes found by the detector, with the waste in kWh, CNY and
  kg CO2e and an explanation in English and Chinese. Managers acknowledge and resolve them.
  Changes arrive live on `GET /api/v1/alerts/stream` (Server-Sent Events).
* **Carbon**: Scope 1 (gas) and Scope 2 (grid electricity) emissions with the published
  factor, its source and data year.
* **Webhooks**: new and escalated alerts pushed as signed JSON or to WeCom / DingTalk robots.

Authenticate with an API key as `Authorization: Bearer kw_...` or `X-API-Key: kw_...`;
the dashboard signs in with `POST /api/v1/auth/session` and a session cookie, and sends
`X-CSRF-Token` with every request that changes data. Roles: admin (everything), manager
(reads and acts on alerts of its sites), viewer (reads alerts and carbon of its sites).
A caller sees only its assigned sites; other sites answer 404 as if they did not exist.
Errors are RFC 9457 problem documents (`application/problem+json`).
"""

_TAGS = [
    {"name": "health", "description": "Liveness and readiness probes (no key)."},
    {"name": "auth", "description": "Dashboard sign-in with a session cookie."},
    {"name": "sites", "description": "Property sites, tariffs and meters (changes: admins)."},
    {"name": "categories", "description": "Meter categories: labels, units, the waste checks that apply."},
    {"name": "alerts", "description": "Waste episodes: list, inspect, act on, stream."},
    {"name": "findings", "description": "Data-quality findings: stale meters, resets, gaps."},
    {"name": "carbon", "description": "Energy and emissions with the factors used."},
    {"name": "series", "description": "Hourly consumption for charts."},
    {"name": "webhooks", "description": "Outgoing webhooks for new and escalated alerts (admins)."},
    {"name": "metrics", "description": "Prometheus metrics (admins)."},
]
#: Order matters where paths overlap: /alerts/stream before /alerts/{alert_id}.
_API_ROUTERS = (
    health,
    auth,
    sites,
    categories,
    stream,
    alerts,
    alert_actions,
    findings,
    carbon,
    series,
    webhooks,
    dead_letters,
    weather,
)


_CACHED_PATHS = (f"{API_PREFIX}/alerts", f"{API_PREFIX}/carbon")
_SITE_CARBON = re.compile(rf"{API_PREFIX}/sites/[^/]+/carbon")


def cached_path(path: str) -> bool:
    """Paths whose routes keep answers in the response cache (the alert list, carbon ledgers)."""
    return path in _CACHED_PATHS or _SITE_CARBON.fullmatch(path) is not None


def prepare_routes(routes: Sequence[object]) -> None:
    """Have FastAPI build every route's request handling now rather than on the first request that reaches it.

    FastAPI (0.16x) builds the dependency and parameter handling of an included router's
    routes when a request first goes through it: about a second of CPU for this app, paid by
    whichever request comes first (a portfolio ledger's "first request" was a fifth that).
    Routers without that step (older FastAPI) have nothing to prepare.
    """
    for route in routes:
        for build in ("effective_candidates", "effective_low_priority_routes"):
            built = getattr(route, build, None)
            if callable(built):
                prepare_routes([r for r in built() if r is not route])


def operation_id(route: APIRoute) -> str:
    """A route's OpenAPI operationId: its function name in camelCase (``get_site_carbon`` -> ``getSiteCarbon``),
    so generated clients get names a person would choose; tests/api/test_operation_ids.py keeps them unique."""
    head, *rest = route.name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def create_app(
    settings: Settings,
    store: SeriesStore,
    sessions: sessionmaker[Session],
    options: ApiOptions | None = None,
) -> FastAPI:
    """The kilowatch HTTP API and dashboard over the given store and database sessions."""
    options = options or ApiOptions.from_settings(settings.api)

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        ensure_admin_key(sessions, settings.api.admin_key)
        if options.prepare_routes:
            prepare_routes(app_.router.routes)
        if options.freeze_gc:
            gc.collect()
            gc.freeze()
        outbox = Outbox(sessions, options, app_.state.metrics)
        app_.state.outbox = outbox
        tasks = [asyncio.create_task(outbox.run())] if options.run_outbox else []
        keeper = app_.state.rollup_keeper = RollupKeeper(
            store,
            options.rollup_keep_s,
            settings.data_dir / LOCK_NAME,  # one keeper among all workers
        )
        if options.rollup_keep_s > 0 and keeper.needed:
            tasks.append(asyncio.create_task(keeper.run()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            outbox.close()
            app_.state.response_cache.close()

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
        # On every route: a single-valued query parameter sent twice is a 422, not its last value.
        dependencies=[Depends(single_valued_query)],
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.sessions = sessions
    app.state.options = options
    app.state.metrics = ApiMetrics()
    # A file in the data directory, shared by the workers (no settings: an app only read for its routes).
    sign_ins = (settings.data_dir if settings is not None else Path(".")) / SIGN_IN_FILE
    app.state.sign_in_limiter = SignInLimiter(options.sign_in_window_s, sign_ins)
    app.state.open_streams = OpenStreams()
    app.state.key_cache = KeyCache(options.key_cache_s)
    app.state.response_cache = ResponseCache(
        getattr(sessions, "kw", {}).get("bind"), options.response_cache_entries, options.response_cache_max_age_s
    )

    install_problem_handlers(app)
    # Innermost: a request holding NUL is refused (and still counted by the access log).
    app.add_middleware(NulGuardMiddleware)
    # Inside admission (a hit reads the versions on a connection), before routing.
    app.add_middleware(ResponseCacheMiddleware, cache=app.state.response_cache, keys=app.state.key_cache, paths=cached_path)
    app.add_middleware(AdmissionMiddleware, limit=pool_capacity(sessions))
    app.add_middleware(AccessMiddleware, metrics=app.state.metrics)
    # Added last, so it runs first: an oversized body is refused before anything reads it.
    app.add_middleware(BodyLimitMiddleware, max_bytes=options.max_body_bytes)

    #: (method, path template) of every route mounted, for the access matrix and docs.
    app.state.route_table = []
    for router, prefix in [*((m.router, API_PREFIX) for m in _API_ROUTERS), (metrics_router, ""), (dashboard.router, "")]:
        app.include_router(router, prefix=prefix)
        app.state.metrics.name_routes(prefix, router)
        app.state.route_table += [
            (method, prefix + route.path) for route in router.routes for method in sorted(route.methods - {"HEAD"})
        ]
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_openapi(app)
    return app
