"""The load benchmark's ceiling: a FastAPI endpoint doing nothing, served by uvicorn as ``kilowatch serve`` is.

A plain ``def`` like the routes it is compared with, so the thread-pool hop every
kilowatch route pays is in the ceiling too; no middleware, no key, no database.
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
def bare() -> dict[str, str]:
    return {"status": "ok"}
