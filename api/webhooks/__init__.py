"""Outgoing webhooks: message formats (JSON, WeCom and DingTalk robots) and the outbox."""

from api.webhooks.formats import EVENTS, FORMATS, Rendered, render, sign_body
from api.webhooks.outbox import Outbox

__all__ = ["EVENTS", "FORMATS", "Outbox", "Rendered", "render", "sign_body"]
