"""``kilowatch serve``: one process, or ``--workers N`` uvicorn worker processes on one port."""

from __future__ import annotations

import json
import os
from functools import partial
from typing import Annotated

import typer
from fastapi import FastAPI

from kilowatch.context import console, settings_from

#: How the parent hands its settings' command-line part (``--config`` and the flags) to the
#: workers uvicorn spawns (each builds its own app, store and database pool); the rest they
#: read from the environment as the parent did.
WORKER_OVERRIDES_ENV = "KILOWATCH_SERVE_OVERRIDES"
FACTORY = "kilowatch.commands.serve:worker_app"


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn calls this in each of ``--workers`` processes)."""
    from api.app import create_app
    from core.settings import load_settings
    from kilowatch.logs import setup_logging
    from kilowatch.wiring import open_database, open_series

    # KILOWATCH_CONFIG, when set, is in the environment the parent passed on; a --config file
    # comes with the command-line overrides.
    handed = json.loads(os.environ.get(WORKER_OVERRIDES_ENV, "{}"))
    settings = load_settings(handed.get("config"), **handed.get("overrides", {}))
    setup_logging(settings.log_level)
    return create_app(settings, open_series(settings), open_database(settings))


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind.")] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(help="Proxies trusted for X-Forwarded-Proto/For (e.g. 127.0.0.1), so cookies are Secure behind TLS."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Worker processes sharing the port (about one per core); one of them keeps the carbon rollups."),
    ] = 1,
) -> None:
    """Serve the API (/api/v1), the dashboard (/) and the webhook outbox."""
    import uvicorn

    from api.app import create_app
    from api.bootstrap import ensure_admin_key
    from kilowatch.wiring import open_database, open_series

    settings = settings_from(ctx, api={"host": host, "port": port})
    run = partial(
        uvicorn.run,
        host=settings.api.host,
        port=settings.api.port,
        log_level="warning",
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    console.print(f"Dashboard: http://{settings.api.host}:{settings.api.port}/  (add users with 'kilowatch users create')")
    if workers == 1:
        # The configured admin key (KILOWATCH_API__ADMIN_KEY) is registered by the app at start-up.
        run(create_app(settings, open_series(settings), open_database(settings)))
        return
    # Migrate and register the admin key here, once, before the workers start: N workers
    # doing it at the same moment would race on the schema and on the key's unique hash.
    sessions = open_database(settings)
    ensure_admin_key(sessions, settings.api.admin_key)
    sessions.kw["bind"].dispose()  # the parent only supervises from here on
    root = ctx.find_root().obj or {}
    overrides = {**root.get("overrides", {}), "api": {"host": settings.api.host, "port": settings.api.port}}
    os.environ[WORKER_OVERRIDES_ENV] = json.dumps({"config": root.get("config"), "overrides": overrides}, default=str)
    run(FACTORY, factory=True, workers=workers)


def register(app: typer.Typer) -> None:
    app.command()(serve)
