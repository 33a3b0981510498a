"""Turn an outbox event into the HTTP request a receiver expects.

* ``json``: the event as JSON, signed with ``X-Kilowatch-Signature: sha256=<hex>`` over
  ``<X-Kilowatch-Timestamp>.<body>`` when the webhook has a secret.
* ``wecom``: a WeCom (企业微信) group robot markdown message.
* ``dingtalk``: a DingTalk (钉钉) group robot markdown message; with a secret, the URL
  gets the robot's ``timestamp`` and ``sign`` parameters ("加签").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime

from core.categories import row_of
from core.timebase import HOME_ZONE

FORMATS = ("json", "wecom", "dingtalk")
EVENTS = ("alert.opened", "alert.escalated")
TEST_EVENT = "webhook.test"
SIGNATURE_HEADER = "X-Kilowatch-Signature"
TIMESTAMP_HEADER = "X-Kilowatch-Timestamp"

_SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}
_TITLE_ZH = {"alert.opened": "能耗浪费告警", "alert.escalated": "告警升级", TEST_EVENT: "测试消息"}


@dataclass(frozen=True, slots=True)
class Rendered:
    """What to send: the URL (robots may need query parameters), headers and body bytes."""

    url: str
    headers: dict[str, str]
    body: bytes
    #: Robots answer HTTP 200 with ``{"errcode": 0}`` on success and a non-zero code otherwise.
    expects_errcode: bool


def sign_body(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` HMAC of ``<timestamp>.<body>``; receivers recompute and compare."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _dingtalk_url(url: str, secret: str, now_ms: int) -> str:
    to_sign = f"{now_ms}\n{secret}".encode()
    sign = base64.b64encode(hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()).decode("ascii")
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{joiner}timestamp={now_ms}&sign={urllib.parse.quote_plus(sign)}"


def _category_zh(code: str) -> str:
    row = row_of(code)
    return row.zh if row is not None else code


def markdown(event: dict) -> tuple[str, str]:
    """A title and a Chinese markdown text for group robots (phones show the first lines)."""
    title = _TITLE_ZH.get(event["event"], event["event"])
    alert = event.get("alert")
    if not alert:
        return title, f"### kilowatch {title}\n> 这是一条测试消息，说明 webhook 已配置正确。"
    severity = _SEVERITY_ZH.get(alert["severity"], alert["severity"])
    started = datetime.fromisoformat(alert["started_at"]).astimezone(HOME_ZONE).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"### 【{severity}】{title}",
        f"> 项目：{event.get('site_name') or alert['site_id']}",
        f"> 设备：{_category_zh(alert['category'])} · {alert['meter_id']}",
        f"> 浪费：**{alert['wasted_kwh']:.1f} kWh** · ¥{alert['cost_cny']:.2f} · {alert['co2e_kg']:.1f} kg CO₂e",
        f"> 开始：{started}",
    ]
    if event.get("text_zh"):
        lines += ["", event["text_zh"]]
    if event.get("link"):
        lines += ["", f"[查看告警]({event['link']})"]
    return f"{title}：{alert['site_id']}", "\n".join(lines)


def render(event: dict, fmt: str, url: str, secret: str | None, delivery_id: int, now: float | None = None) -> Rendered:
    """The request for one delivery of ``event`` in ``fmt``."""
    now = time.time() if now is None else now
    if fmt == "wecom":
        _, text = markdown(event)
        body = {"msgtype": "markdown", "markdown": {"content": text}}
        return Rendered(url, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False).encode(), True)
    if fmt == "dingtalk":
        title, text = markdown(event)
        body = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
        target = _dingtalk_url(url, secret, int(now * 1000)) if secret else url
        return Rendered(target, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False).encode(), True)
    raw = json.dumps({**event, "delivery_id": delivery_id}, ensure_ascii=False, separators=(",", ":")).encode()
    stamp = str(int(now))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "kilowatch-webhooks/1",
        "X-Kilowatch-Event": event["event"],
        "X-Kilowatch-Delivery": str(delivery_id),
        TIMESTAMP_HEADER: stamp,
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign_body(secret, stamp, raw)
    return Rendered(url, headers, raw, False)
