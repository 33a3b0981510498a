"""Webhooks: admins manage them; the outbox announces new and escalated alerts to a real receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.app import create_app
from api.options import ApiOptions
from api.webhooks import Outbox, sign_body
from core.db.tables import AlertRecord, WebhookDeliveryRecord
from tests.api.receiver import Receiver
from tests.api.seed import as_, assert_problem
from tests.support import wait_for

SECRET = "a-long-shared-secret-0001"
#: Retries due at once, so a test can drive several attempts without waiting. The test
#: receivers listen on 127.0.0.1, which deliveries may reach only when allowed.
IMPATIENT = ApiOptions(
    run_outbox=False, webhook_backoff_s=0, webhook_max_attempts=3, webhook_timeout_s=2, webhook_allow_private=True
)


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def admin(world):
    return as_(world.keys["admin"])


@pytest.fixture
def outbox(world):
    box = Outbox(world.sessions, IMPATIENT)
    yield box
    box.close()


def _hook(client, admin, url, **fields) -> dict:
    response = client.post("/api/v1/webhooks", json={"name": "ops", "url": url, **fields}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


def _open_alert_now(world, name: str = "a_open_high") -> int:
    """Make the seeded alert look just detected, after the webhook was created."""
    with world.sessions() as session:
        now = int(time.time()) + 1
        session.execute(update(AlertRecord).where(AlertRecord.id == world.alerts[name]).values(created_at=now, updated_at=now))
        session.commit()
    return world.alerts[name]


def _deliveries(world) -> list[WebhookDeliveryRecord]:
    with world.sessions() as session:
        return list(session.scalars(select(WebhookDeliveryRecord).order_by(WebhookDeliveryRecord.id)))


def test_admin_creates_a_webhook_whose_secret_is_never_shown(client, admin, receiver):
    body = _hook(client, admin, receiver.url, secret=SECRET)

    assert body["has_secret"] is True and SECRET not in str(body)
    assert SECRET not in client.get("/api/v1/webhooks", headers=admin).text


def test_robot_keys_in_urls_are_masked(client, admin):
    body = _hook(client, admin, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd-1234", format="wecom")

    assert body["url"] == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"


@pytest.mark.parametrize("url", ["ftp://example.com/x", "not a url", "http:///nohost"])
def test_webhook_urls_must_be_http(client, admin, url):
    assert_problem(client.post("/api/v1/webhooks", json={"name": "x", "url": url}, headers=admin), 422)


def test_managers_may_not_manage_webhooks(client, world):
    assert_problem(client.get("/api/v1/webhooks", headers=as_(world.keys["manager"])), 403)


def test_a_new_alert_is_delivered_once_as_signed_json(client, world, admin, receiver, outbox):
    _hook(client, admin, receiver.url, secret=SECRET)
    alert_id = _open_alert_now(world)

    assert outbox.enqueue_events() == 1
    assert outbox.enqueue_events() == 0  # already queued
    assert outbox.deliver_due() == 1

    [got] = receiver.received
    stamp = got.headers["X-Kilowatch-Timestamp"]
    assert got.headers["X-Kilowatch-Signature"] == sign_body(SECRET, stamp, got.body)
    assert got.json()["event"] == "alert.opened" and got.json()["alert"]["id"] == alert_id
    assert [d.status for d in _deliveries(world)] == ["sent"]


def test_alerts_older_than_the_webhook_are_not_announced(client, world, admin, receiver, outbox):
    _hook(client, admin, receiver.url)  # the seeded alerts were created in 2024

    assert outbox.enqueue_events() == 0


def test_escalation_is_announced_to_webhooks_that_want_it(client, world, admin, receiver, outbox):
    _hook(client, admin, receiver.url, events=["alert.escalated"])
    _open_alert_now(world)
    with world.sessions() as session:
        session.execute(
            update(AlertRecord).where(AlertRecord.id == world.alerts["a_open_high"]).values(escalated_at=int(time.time()) + 1)
        )
        session.commit()

    outbox.enqueue_events()
    outbox.deliver_due()

    assert [r.json()["event"] for r in receiver.received] == ["alert.escalated"]


def test_site_filter_keeps_other_sites_quiet(client, world, admin, receiver, outbox):
    _hook(client, admin, receiver.url, site_ids=["bj-b"])
    _open_alert_now(world, "a_open_high")

    assert outbox.enqueue_events() == 0


def test_a_failing_receiver_is_retried_until_it_answers(client, world, admin, receiver, outbox):
    receiver.statuses = [503, 500]
    _hook(client, admin, receiver.url)
    _open_alert_now(world)
    outbox.enqueue_events()

    for _ in range(3):
        outbox.deliver_due(now=int(time.time()) + 10)

    [delivery] = _deliveries(world)
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    assert len(receiver.received) == 3


def test_delivery_gives_up_after_the_last_attempt(client, world, admin, receiver, outbox):
    receiver.statuses = [500] * 10
    _hook(client, admin, receiver.url)
    _open_alert_now(world)
    outbox.enqueue_events()

    for _ in range(5):
        outbox.deliver_due(now=int(time.time()) + 10)

    [delivery] = _deliveries(world)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 3, "HTTP 500")


def test_a_client_error_fails_at_once_without_retrying(client, world, admin, receiver, outbox):
    receiver.statuses = [404]
    _hook(client, admin, receiver.url)
    _open_alert_now(world)
    outbox.enqueue_events()

    outbox.deliver_due()

    assert [(d.status, d.attempts) for d in _deliveries(world)] == [("failed", 1)]


def test_retries_back_off_exponentially_up_to_the_cap():
    box = Outbox(None, ApiOptions(webhook_backoff_s=10, webhook_backoff_max_s=100))

    assert [box.backoff_s(n) for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 80, 100]
    box.close()


def test_wecom_robot_gets_a_chinese_markdown_message(client, world, admin, receiver, outbox):
    _hook(client, admin, receiver.url, format="wecom")
    _open_alert_now(world)
    outbox.enqueue_events()
    outbox.deliver_due()

    body = receiver.received[0].json()
    assert body["msgtype"] == "markdown"
    assert "【中】能耗浪费告警" in body["markdown"]["content"] and "徐汇花园" in body["markdown"]["content"]
    assert "30.0 kWh" in body["markdown"]["content"]


def test_robot_messages_link_to_the_alert_on_the_configured_dashboard(client, world, admin, receiver):
    box = Outbox(world.sessions, replace(IMPATIENT, public_url="https://energy.example.cn/kilowatch/"))
    _hook(client, admin, receiver.url, format="wecom")
    alert_id = _open_alert_now(world)
    box.enqueue_events()
    box.deliver_due()
    box.close()

    content = receiver.received[0].json()["markdown"]["content"]
    assert f"(https://energy.example.cn/kilowatch/#/alerts/{alert_id})" in content


def test_dingtalk_robot_url_is_signed_with_the_secret(client, world, admin, receiver, outbox):
    _hook(client, admin, receiver.url, format="dingtalk", secret=SECRET)
    _open_alert_now(world)
    outbox.enqueue_events()
    outbox.deliver_due()

    got = receiver.received[0]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(got.path).query))
    expected = hmac.new(SECRET.encode(), f"{query['timestamp']}\n{SECRET}".encode(), hashlib.sha256).digest()
    assert base64.b64decode(query["sign"]) == expected
    assert got.json()["markdown"]["title"].startswith("能耗浪费告警")


def test_a_robot_error_code_counts_as_a_failed_attempt(client, world, admin, receiver, outbox):
    receiver.answer = {"errcode": 45009, "errmsg": "api freq out of limit"}
    _hook(client, admin, receiver.url, format="wecom")
    _open_alert_now(world)
    outbox.enqueue_events()

    outbox.deliver_due()

    [delivery] = _deliveries(world)
    assert (delivery.status, delivery.last_error) == ("pending", "errcode 45009: api freq out of limit")


def test_test_message_is_queued_and_listed_under_deliveries(client, world, admin, receiver, outbox):
    hook = _hook(client, admin, receiver.url)

    queued = client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin)
    outbox.deliver_due()

    assert queued.status_code == 202
    deliveries = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin).json()["data"]
    assert [(d["event"], d["status"]) for d in deliveries] == [("webhook.test", "sent")]


def test_deleting_a_webhook_drops_its_queue(client, world, admin, receiver):
    hook = _hook(client, admin, receiver.url)
    client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin)

    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin).status_code == 204
    assert _deliveries(world) == []
    assert_problem(client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin), 404)


def test_the_api_process_delivers_in_the_background(world, settings, receiver):
    options = ApiOptions(webhook_poll_s=0.1, webhook_allow_private=True)
    with TestClient(create_app(settings, world.store, world.sessions, options)) as client:
        _hook(client, as_(world.keys["admin"]), receiver.url)
        _open_alert_now(world)

        wait_for(lambda: receiver.received, timeout=10, what="the webhook delivery")

    assert receiver.received[0].json()["alert"]["id"] == world.alerts["a_open_high"]


def test_by_default_a_webhook_cannot_reach_a_loopback_receiver(client, world, admin, receiver):
    # An admin must not be able to use webhooks to probe the API's own network.
    guarded = Outbox(world.sessions, ApiOptions(run_outbox=False, webhook_backoff_s=0, webhook_max_attempts=3))
    try:
        _hook(client, admin, receiver.url)
        _open_alert_now(world)
        guarded.enqueue_events()
        guarded.deliver_due()
    finally:
        guarded.close()
    [delivery] = _deliveries(world)
    assert delivery.status == "failed" and delivery.attempts == 1  # not retried: it cannot succeed
    assert delivery.last_error.startswith("refused:") and "webhook_allow_private" in delivery.last_error
    assert receiver.received == []


def test_user_and_password_in_a_webhook_url_are_masked(client, admin):
    body = _hook(client, admin, "https://bot:p4ss@hooks.example.com/x?token=abc")
    assert body["url"] == "https://***@hooks.example.com/x?token=***"
    assert "p4ss" not in client.get(f"/api/v1/webhooks/{body['id']}", headers=admin).text
