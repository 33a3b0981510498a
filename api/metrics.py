"""Request metrics and the access log, as one ASGI middleware, plus the Prometheus endpoint."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import AdminKey
from api.schemas.common import problem_responses

log = logging.getLogger("api.access")


class ApiMetrics:
    """The app's own registry, so several apps (tests) never collide in the global one."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kilowatch_http_requests", "HTTP requests served.", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "kilowatch_http_request_seconds",
            "Time to serve an HTTP request.",
            ["method", "route"],
            # Dashboard calls should take milliseconds; carbon over a year may take a second.
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "kilowatch_webhook_deliveries",
            "Webhook delivery attempts by outcome (sent, retry, failed).",
            ["outcome"],
            registry=self.registry,
        )
        #: Full path template of each route object; routes only know the path in their router.
        self.templates: dict[int, str] = {}

    def name_routes(self, prefix: str, router: APIRouter) -> None:
        """Record the full path templates of ``router``'s routes mounted under ``prefix``."""
        for route in router.routes:
            self.templates[id(route)] = prefix + getattr(route, "path", "")

    def template_of(self, route: object | None) -> str:
        # Unmatched paths share one label so scanners cannot blow up the label set.
        if route is None:
            return "unmatched"
        return self.templates.get(id(route)) or getattr(route, "path", None) or "unmatched"


class AccessMiddleware:
    """Counts and logs each request by route template and key name, never by key or query."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            template = self.metrics.template_of(scope.get("route"))
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.latency.labels(scope["method"], template).observe(elapsed)
            principal = scope.get("state", {}).get("principal")
            who = f"{principal.via} {principal.key_id} ({principal.name})" if principal else "anonymous"
            log.info("%s %s -> %s in %.1f ms by %s", scope["method"], template, status, elapsed * 1000, who)


router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, **problem_responses(401, 403)},
)
def metrics(request: Request, _admin: AdminKey) -> Response:
    """Request counts and latencies in the Prometheus text format (admin keys only)."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
