"""An InfluxDB 1.x store whose HTTP requests reach no server: write bodies are kept, queries answer empty."""

from __future__ import annotations

import httpx

from core.settings import StoreSettings
from core.store.influx_v1 import InfluxV1Store


def recording_store() -> tuple[InfluxV1Store, list[bytes]]:
    """The store and the list its write bodies are appended to."""
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/write":
            bodies.append(request.content)
            return httpx.Response(204)
        return httpx.Response(200, json={"results": [{"statement_id": 0}]})

    return InfluxV1Store(StoreSettings(backend="influx1"), transport=httpx.MockTransport(handler)), bodies
