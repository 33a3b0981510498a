"""Sign-in payloads: credentials in, the caller and the session's CSRF token out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SignIn(BaseModel):
    """A dashboard user's credentials."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"username": "wang.li", "password": "correct horse battery"}]})

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class CallerPublic(BaseModel):
    """Who the request was made as: a signed-in user or an API key."""

    via: str = Field(description="`user` (session cookie) or `key` (API key).", examples=["user"])
    name: str = Field(examples=["wang.li"])
    display_name: str = Field(examples=["王莉"])
    role: str = Field(examples=["manager"])
    site_ids: list[str] | None = Field(description="Sites in scope; null means every site.", examples=[["sh-xuhui-01"]])
    locale: str = Field(examples=["zh"])
    csrf_token: str | None = Field(
        default=None, description="Send as `X-CSRF-Token` on POST/PATCH/DELETE made with the session cookie."
    )
    expires_at: datetime | None = Field(default=None, description="When the session ends.")
