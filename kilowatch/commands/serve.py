"""``kilowatch serve``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from kilowatch.context import console, settings_from


def serve(
    ctx: typer.Context,
    host: Annotated[Optional[str], typer.Option(help="Address to bind.")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port to bind.")] = None,
    forwarded_allow_ips: Annotated[
        Optional[str],
        typer.Option(help="Proxies trusted for X-Forwarded-Proto/For (e.g. 127.0.0.1), so cookies are Secure behind TLS."),
    ] = None,
) -> None:
    """Serve the API (/api/v1), the dashboard (/) and the webhook outbox."""
    import uvicorn

    from api.app import create_app
    from kilowatch.wiring import open_database, open_series

    settings = settings_from(ctx, api={"host": host, "port": port})
    # The configured admin key (KILOWATCH_API__ADMIN_KEY) is registered by the app at start-up.
    app_ = create_app(settings, open_series(settings), open_database(settings))
    console.print(f"Dashboard: http://{settings.api.host}:{settings.api.port}/  (add users with 'kilowatch users create')")
    uvicorn.run(
        app_,
        host=settings.api.host,
        port=settings.api.port,
        log_level="warning",
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
    )


def register(app: typer.Typer) -> None:
    app.command()(serve)
