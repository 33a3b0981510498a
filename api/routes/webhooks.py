"""Outgoing webhooks (admins): subscriptions, their deliveries, and a test message."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from sqlalchemy import func, select

from api.deps import AdminKey, SessionDep
from api.problems import not_found
from api.schemas.common import problem_responses
from api.schemas.webhooks import (
    DeliveriesPublic,
    DeliveryPublic,
    WebhookCreate,
    WebhookPublic,
    WebhooksPublic,
    WebhookUpdate,
)
from api.webhooks.outbox import Outbox
from core.db.tables import WebhookDeliveryRecord, WebhookRecord

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=problem_responses(401, 403, 422))

WebhookId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Webhook id.")]


def _get(session: SessionDep, webhook_id: int) -> WebhookRecord:
    record = session.get(WebhookRecord, webhook_id)
    if record is None:
        raise not_found("webhook", webhook_id)
    return record


@router.get("", summary="List webhooks", response_model=WebhooksPublic)
def list_webhooks(session: SessionDep, _admin: AdminKey) -> WebhooksPublic:
    rows = [WebhookPublic.of(r) for r in session.scalars(select(WebhookRecord).order_by(WebhookRecord.id))]
    return WebhooksPublic(data=rows, total=len(rows))


@router.post("", summary="Create a webhook", response_model=WebhookPublic, status_code=status.HTTP_201_CREATED)
def create_webhook(body: WebhookCreate, session: SessionDep, _admin: AdminKey) -> WebhookPublic:
    """Announce new and escalated alerts to a URL; only alerts from now on are sent."""
    record = WebhookRecord(
        name=body.name,
        url=body.url,
        format=body.format,
        events=list(body.events),
        site_ids=sorted(body.site_ids) if body.site_ids is not None else None,
        secret=body.secret,
        active=body.active,
        created_at=int(time.time()),
    )
    session.add(record)
    session.commit()
    return WebhookPublic.of(record)


@router.get("/{webhook_id}", summary="Get a webhook", response_model=WebhookPublic, responses=problem_responses(404))
def get_webhook(webhook_id: WebhookId, session: SessionDep, _admin: AdminKey) -> WebhookPublic:
    return WebhookPublic.of(_get(session, webhook_id))


@router.patch("/{webhook_id}", summary="Change a webhook", response_model=WebhookPublic, responses=problem_responses(404))
def update_webhook(webhook_id: WebhookId, body: WebhookUpdate, session: SessionDep, _admin: AdminKey) -> WebhookPublic:
    record = _get(session, webhook_id)
    changes = body.model_dump(exclude_unset=True)
    for name in ("name", "url", "format", "events", "active"):
        if name in changes and changes[name] is None:
            changes.pop(name)  # null means "leave it"; only site_ids and secret can be cleared
    for name, value in changes.items():
        setattr(record, name, list(value) if isinstance(value, list) else value)
    session.commit()
    return WebhookPublic.of(record)


@router.delete(
    "/{webhook_id}",
    summary="Delete a webhook",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(404),
)
def delete_webhook(webhook_id: WebhookId, session: SessionDep, _admin: AdminKey) -> Response:
    """Remove the webhook and its queued deliveries."""
    record = _get(session, webhook_id)
    session.query(WebhookDeliveryRecord).filter(WebhookDeliveryRecord.webhook_id == webhook_id).delete()
    session.delete(record)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{webhook_id}/deliveries",
    summary="Deliveries of a webhook",
    response_model=DeliveriesPublic,
    responses=problem_responses(404),
)
def list_deliveries(
    webhook_id: WebhookId,
    session: SessionDep,
    _admin: AdminKey,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeliveriesPublic:
    """Newest first, with attempts and the last error."""
    _get(session, webhook_id)
    query = select(WebhookDeliveryRecord).where(WebhookDeliveryRecord.webhook_id == webhook_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(WebhookDeliveryRecord.id.desc()).limit(limit))
    return DeliveriesPublic(data=[DeliveryPublic.of(r) for r in rows], total=total)


@router.post(
    "/{webhook_id}/test",
    summary="Send a test message",
    response_model=DeliveryPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(404),
)
def test_webhook(webhook_id: WebhookId, session: SessionDep, _admin: AdminKey) -> DeliveryPublic:
    """Queue a `webhook.test` delivery; watch its status under deliveries."""
    row = Outbox.enqueue_test(session, _get(session, webhook_id))
    session.commit()
    return DeliveryPublic.of(row)
