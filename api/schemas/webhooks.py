"""Webhook payloads: the subscription an admin sends, what is shown back, and deliveries."""

from __future__ import annotations

import re
import urllib.parse
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas.common import utc
from core.db.tables import WebhookDeliveryRecord, WebhookRecord

Format = Literal["json", "wecom", "dingtalk"]
Event = Literal["alert.opened", "alert.escalated"]


def masked_url(url: str) -> str:
    """The URL with query values and any user:password hidden: robot URLs carry their access key there."""
    parts = urllib.parse.urlsplit(url)
    if "@" in parts.netloc:
        parts = parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1])
    if parts.query:
        names = [name for name, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
        parts = parts._replace(query="&".join(f"{n}=***" for n in names))
    return urllib.parse.urlunsplit(parts)


_HOST = r"[A-Za-z0-9._~%!$&'()*+,;=-]+"
_TAIL = r"([A-Za-z0-9._~%!$&'()*+,;=:-]*@)?{host}(:[0-9]{{0,5}})?([/?#][^\x00-\x20\x7f]*)?$"
#: What the document promises: http(s), optional user info, an ASCII host name (IDNs as xn--),
#: optional port, then anything without spaces or control characters.
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://" + _TAIL.format(host=_HOST)
#: What is accepted: the same, and also an IPv6 literal in brackets (checked by urlsplit).
#: The document leaves the literal to the description: a pattern for valid IPv6 is unreadable.
_ACCEPTED = re.compile(r"^[Hh][Tt][Tt][Pp][Ss]?://" + _TAIL.format(host=rf"(\[[0-9A-Fa-f:.]+\]|{_HOST})"))
_URL_HELP = "http or https; an ASCII host name (IDNs as xn--) or an IPv6 literal in brackets; no spaces."


class WebhookUpdate(BaseModel):
    """Fields of a webhook to change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100, examples=["物业群机器人"])
    url: str | None = Field(
        default=None,
        max_length=500,
        examples=["https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."],
        description=_URL_HELP,
        json_schema_extra={"pattern": URL_PATTERN},
    )
    format: Format | None = Field(default=None, description="json, wecom (企业微信) or dingtalk (钉钉).")
    events: list[Event] | None = Field(default=None, min_length=1, max_length=2)
    site_ids: list[str] | None = Field(default=None, max_length=1000, description="Only these sites; null means all.")
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=128,
        description="HMAC key for json (X-Kilowatch-Signature) or the DingTalk robot's 加签 secret. Never shown back.",
    )
    active: bool | None = Field(default=None, strict=True)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            host = urllib.parse.urlsplit(value).hostname if _ACCEPTED.fullmatch(value) else None
        except ValueError:  # a bracketed host that is no IPv6 address
            host = None
        if not host:
            raise ValueError("must be an http or https URL")
        return value


class WebhookCreate(WebhookUpdate):
    """A new webhook."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "ops",
                    "url": "https://ops.example.com/hooks/kilowatch",
                    "format": "json",
                    "events": ["alert.opened", "alert.escalated"],
                    "secret": "a-long-shared-secret-0001",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=100)
    url: str = Field(max_length=500, description=_URL_HELP, json_schema_extra={"pattern": URL_PATTERN})
    format: Format = "json"
    events: list[Event] = Field(default=["alert.opened", "alert.escalated"], min_length=1, max_length=2)
    active: bool = Field(default=True, strict=True)


class WebhookPublic(BaseModel):
    """A webhook as admins see it: the secret is never shown, robot keys in URLs are masked."""

    id: int
    name: str
    url: str = Field(description="With query values masked.")
    format: str
    events: list[str]
    site_ids: list[str] | None
    has_secret: bool
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, record: WebhookRecord) -> WebhookPublic:
        return cls(
            id=record.id,
            name=record.name,
            url=masked_url(record.url),
            format=record.format,
            events=list(record.events or []),
            site_ids=record.site_ids,
            has_secret=bool(record.secret),
            active=record.active,
            created_at=utc(record.created_at),
        )


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    total: int


class DeliveryPublic(BaseModel):
    """One queued, sent or failed delivery."""

    id: int
    webhook_id: int
    event: str = Field(examples=["alert.opened"])
    status: str = Field(description="pending, sent or failed.", examples=["sent"])
    attempts: int
    next_attempt_at: datetime
    last_error: str = Field(examples=["HTTP 502"])
    created_at: datetime

    @classmethod
    def of(cls, record: WebhookDeliveryRecord) -> DeliveryPublic:
        return cls(
            id=record.id,
            webhook_id=record.webhook_id,
            event=record.event,
            status=record.status,
            attempts=record.attempts,
            next_attempt_at=utc(record.next_attempt_at),
            last_error=record.last_error or "",
            created_at=utc(record.created_at),
        )


class DeliveriesPublic(BaseModel):
    data: list[DeliveryPublic]
    total: int
