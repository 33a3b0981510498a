"""Responses written straight from a schema, skipping FastAPI's second pass over it."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def json_response(body: BaseModel) -> Response:
    """``body`` as JSON, as the route's ``response_model`` documents it.

    A route that returns the model instead has FastAPI validate it again, from a dict, in a
    thread-pool hop (for a ``def`` route), then encode it: for a page of 50 alerts or a
    month of carbon that was more CPU than the route itself. The schemas already validated
    the values when the body was built.
    """
    return Response(body.model_dump_json(by_alias=True), media_type="application/json")
