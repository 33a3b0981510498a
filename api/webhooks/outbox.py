"""The webhook outbox: find alerts to announce, queue one delivery per webhook, send with retries.

Rows in ``webhook_deliveries`` are the queue, so a restart loses nothing. A delivery is
claimed by bumping ``attempts`` only if nobody else did, so two API processes never
send the same attempt. Retries back off exponentially; a 4xx other than 408/429 means
the webhook is misconfigured and the delivery fails at once (an admin fixes the URL and
sends a test).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import httpx
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.options import ApiOptions
from api.schemas.alerts import AlertPublic, ExplanationPublic
from api.webhooks.egress import Refused, Resolver, Target, pinned
from api.webhooks.formats import TEST_EVENT, render
from core.db.tables import AlertRecord, SiteRecord, WebhookDeliveryRecord, WebhookRecord

if TYPE_CHECKING:
    from api.metrics import ApiMetrics

log = logging.getLogger(__name__)

#: Deliveries sent per tick; the rest wait for the next tick so one slow receiver cannot
#: keep the loop (and shutdown) busy for long.
_BATCH = 20
_ERROR_CHARS = 200
_RETRYABLE_4XX = {408, 425, 429}


@dataclass(frozen=True, slots=True)
class _Outcome:
    ok: bool
    retry: bool
    error: str = ""


def alert_event(session: Session, alert: AlertRecord, event: str, at: int, public_url: str = "") -> dict:
    """The canonical event stored in the outbox; formats render it at send time.

    With the dashboard's ``public_url`` known, ``link`` opens the alert there.
    """
    site = session.get(SiteRecord, alert.site_id)
    explanation = ExplanationPublic.parse(alert.id, alert.explanation)
    link = {"link": f"{public_url.rstrip('/')}/#/alerts/{alert.id}"} if public_url else {}
    return {
        "event": event,
        "alert_id": alert.id,
        "occurred_at": at,
        "site_name": site.name if site else alert.site_id,
        "text_en": explanation.text_en if explanation else None,
        "text_zh": explanation.text_zh if explanation else None,
        "alert": json.loads(AlertPublic.of(alert).model_dump_json()),
        **link,
    }


def _matches(webhook: WebhookRecord, event: str, alert: AlertRecord, at: int) -> bool:
    return (
        event in (webhook.events or [])
        and (webhook.site_ids is None or alert.site_id in webhook.site_ids)
        and at >= webhook.created_at
    )


class Outbox:
    """Queues and sends webhook deliveries; ``tick`` does one round, ``run`` loops."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        options: ApiOptions,
        metrics: ApiMetrics | None = None,
        resolve: Resolver = socket.getaddrinfo,
    ) -> None:
        self.sessions = sessions
        self.options = options
        self.metrics = metrics
        self.resolve = resolve
        self._client = httpx.Client(timeout=options.webhook_timeout_s, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    # -- queueing ------------------------------------------------------------------

    def enqueue_events(self, now: int | None = None) -> int:
        """Queue a delivery for every (webhook, alert opened or escalated) not queued yet."""
        now = int(time.time()) if now is None else now
        since = now - self.options.webhook_lookback_s
        with self.sessions() as session:
            hooks = list(session.scalars(select(WebhookRecord).where(WebhookRecord.active.is_(True))))
            if not hooks:
                return 0
            alerts = list(
                session.scalars(
                    select(AlertRecord).where(or_(AlertRecord.created_at >= since, AlertRecord.escalated_at >= since))
                )
            )
            if not alerts:
                return 0
            queued = _queued_since(session, since)
            added = 0
            for alert in alerts:
                for event, at in (("alert.opened", alert.created_at), ("alert.escalated", alert.escalated_at)):
                    if at is None or at < since:
                        continue
                    for hook in hooks:
                        if (hook.id, event, alert.id) in queued or not _matches(hook, event, alert, at):
                            continue
                        self._queue(session, hook, alert, event, at, now)
                        queued.add((hook.id, event, alert.id))
                        added += 1
            session.commit()
        if added:
            log.info("queued %d webhook deliveries", added)
        return added

    def _queue(self, session: Session, hook: WebhookRecord, alert: AlertRecord, event: str, at: int, now: int) -> None:
        """Add a pending delivery of ``event`` (of ``alert``, at ``at``) to ``hook``."""
        payload = json.dumps(alert_event(session, alert, event, at, self.options.public_url), ensure_ascii=False)
        session.add(
            WebhookDeliveryRecord(
                webhook_id=hook.id,
                event=event,
                payload=payload,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                last_error="",
                created_at=now,
            )
        )

    @staticmethod
    def enqueue_test(session: Session, webhook: WebhookRecord, now: int | None = None) -> WebhookDeliveryRecord:
        now = int(time.time()) if now is None else now
        payload = {"event": TEST_EVENT, "alert_id": None, "occurred_at": now, "webhook": webhook.name}
        row = WebhookDeliveryRecord(
            webhook_id=webhook.id,
            event=TEST_EVENT,
            payload=json.dumps(payload, ensure_ascii=False),
            status="pending",
            attempts=0,
            next_attempt_at=now,
            last_error="",
            created_at=now,
        )
        session.add(row)
        session.flush()
        return row

    # -- sending -------------------------------------------------------------------

    def backoff_s(self, attempts: int) -> int:
        delay = self.options.webhook_backoff_s * 2 ** max(attempts - 1, 0)
        return int(min(delay, self.options.webhook_backoff_max_s))

    def _send(self, hook: WebhookRecord, row: WebhookDeliveryRecord) -> _Outcome:
        request = render(json.loads(row.payload), hook.format, hook.url, hook.secret, row.id)
        target = Target(request.url, {}, {})
        if not self.options.webhook_allow_private:
            try:
                target = pinned(request.url, self.resolve)
            except Refused as exc:
                return _Outcome(False, False, f"refused: {exc}")
        try:
            response = self._client.post(
                target.url,
                content=request.body,
                headers={**request.headers, **target.headers},
                extensions=target.extensions,
            )
        except httpx.HTTPError as exc:
            # The exception text may carry the URL, and robot URLs carry their key.
            return _Outcome(False, True, type(exc).__name__)
        if response.status_code >= 400:
            retry = response.status_code >= 500 or response.status_code in _RETRYABLE_4XX
            return _Outcome(False, retry, f"HTTP {response.status_code}")
        if request.expects_errcode:
            try:
                answer = response.json()
                code = answer.get("errcode", 0)
            except (ValueError, AttributeError):
                return _Outcome(False, True, "robot answered without JSON")
            if code != 0:
                return _Outcome(False, True, f"errcode {code}: {str(answer.get('errmsg', ''))[:80]}")
        return _Outcome(True, False)

    def deliver_due(self, now: int | None = None) -> int:
        """Send the deliveries that are due; returns how many were sent successfully."""
        now = int(time.time()) if now is None else now
        with self.sessions() as session:
            due = list(
                session.scalars(
                    select(WebhookDeliveryRecord)
                    .where(WebhookDeliveryRecord.status == "pending", WebhookDeliveryRecord.next_attempt_at <= now)
                    .order_by(WebhookDeliveryRecord.next_attempt_at, WebhookDeliveryRecord.id)
                    .limit(_BATCH)
                )
            )
        sent = 0
        for row in due:
            attempts = row.attempts + 1
            lease = now + int(self.options.webhook_timeout_s * 3) + 1
            with self.sessions() as session:
                # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed wider.
                claimed = cast(
                    CursorResult[Any],
                    session.execute(
                        update(WebhookDeliveryRecord)
                        .where(
                            WebhookDeliveryRecord.id == row.id,
                            WebhookDeliveryRecord.attempts == row.attempts,
                            WebhookDeliveryRecord.status == "pending",
                        )
                        .values(attempts=attempts, next_attempt_at=lease)
                    ),
                ).rowcount
                session.commit()
                hook = session.get(WebhookRecord, row.webhook_id)
            if not claimed or hook is None:
                continue
            outcome = self._send(hook, row) if hook.active else _Outcome(False, False, "webhook inactive")
            if outcome.ok:
                status, next_at, label = "sent", now, "sent"
                sent += 1
            elif outcome.retry and attempts < self.options.webhook_max_attempts:
                status, next_at, label = "pending", int(time.time()) + self.backoff_s(attempts), "retry"
            else:
                status, next_at, label = "failed", now, "failed"
            with self.sessions() as session:
                session.execute(
                    update(WebhookDeliveryRecord)
                    .where(WebhookDeliveryRecord.id == row.id)
                    .values(status=status, next_attempt_at=next_at, last_error=outcome.error[:_ERROR_CHARS])
                )
                session.commit()
            if self.metrics is not None:
                self.metrics.webhook_deliveries.labels(label).inc()
            if not outcome.ok:
                log.warning("webhook %s delivery %s attempt %d: %s (%s)", hook.id, row.id, attempts, outcome.error, label)
        return sent

    def tick(self) -> None:
        self.enqueue_events()
        self.deliver_due()

    async def run(self) -> None:
        """Tick forever; a failing database is logged and retried on the next tick."""
        while True:
            try:
                await asyncio.to_thread(self.tick)
            except Exception as exc:  # the loop must outlive any one failure
                log.warning("webhook outbox tick failed: %s", type(exc).__name__)
            await asyncio.sleep(self.options.webhook_poll_s)


def _queued_since(session: Session, since: int) -> set[tuple[int, str, int]]:
    """(webhook id, event, alert id) of the deliveries created since ``since``.

    Any delivery for an event at or after ``since`` was created after the event itself.
    """
    queued: set[tuple[int, str, int]] = set()
    for hook_id, payload in session.execute(
        select(WebhookDeliveryRecord.webhook_id, WebhookDeliveryRecord.payload).where(WebhookDeliveryRecord.created_at >= since)
    ):
        try:
            body = json.loads(payload)
            queued.add((hook_id, body["event"], body["alert_id"]))
        except (ValueError, KeyError, TypeError):
            continue
    return queued
