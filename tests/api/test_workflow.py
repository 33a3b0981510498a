"""Working an alert: every action changes the state it should, leaves history, and refuses nonsense."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from api.workflow import local_hours
from core.db.tables import AlertRecord, SuppressionRecord
from tests.api.seed import T0, as_, assert_problem


@pytest.fixture
def manager(world):
    return as_(world.keys["manager"])


def _post(client, world, name, action, headers, body=None):
    return client.post(f"/api/v1/alerts/{world.alerts[name]}/{action}", json=body, headers=headers)


def test_acknowledging_records_when_and_who(client, world, manager):
    body = _post(client, world, "a_open_high", "acknowledge", manager).json()

    assert body["acknowledged_at"] is not None
    assert [(e["action"], e["actor"]) for e in body["history"]] == [("acknowledged", "key:site A manager")]


def test_acknowledging_twice_writes_history_once(client, world, manager):
    _post(client, world, "a_open_high", "acknowledge", manager)

    body = _post(client, world, "a_open_high", "acknowledge", manager).json()

    assert [e["action"] for e in body["history"]] == ["acknowledged"]


def test_resolving_starts_verification_and_keeps_the_note(client, world, manager):
    body = _post(client, world, "a_open_high", "resolve", manager, {"note": "timer fixed"}).json()

    assert (body["status"], body["verification"]) == ("resolved", "watching")
    assert body["resolved_at"] is not None
    assert body["history"][-1]["detail"] == {"note": "timer fixed"}


def test_resolve_without_a_body_is_accepted(client, world, manager):
    assert _post(client, world, "a_open_high", "resolve", manager).json()["status"] == "resolved"


def test_reopening_a_resolved_alert_counts_the_return(client, world, manager):
    body = _post(client, world, "a_resolved_low", "reopen", manager).json()

    assert (body["status"], body["reopened"], body["resolved_at"], body["verification"]) == ("open", 1, None, None)


def test_reopening_an_open_alert_is_a_409(client, world, manager):
    assert_problem(_post(client, world, "a_open_high", "reopen", manager), 409)


def test_assigning_names_the_assignee_and_null_takes_it_back(client, world, manager):
    assigned = _post(client, world, "a_open_high", "assign", manager, {"assignee": "wang.li"}).json()
    taken_back = _post(client, world, "a_open_high", "assign", manager, {"assignee": None}).json()

    assert assigned["assignee"] == "wang.li" and taken_back["assignee"] is None
    assert [e["detail"] for e in taken_back["history"]] == [{"assignee": "wang.li"}, {"assignee": None}]


def test_assigned_alerts_can_be_listed_by_assignee(client, world, manager):
    _post(client, world, "a_ack_medium", "assign", manager, {"assignee": "wang.li"})

    body = client.get("/api/v1/alerts", params={"assignee": "wang.li"}, headers=manager).json()

    assert [a["id"] for a in body["data"]] == [world.alerts["a_ack_medium"]]


def test_comments_are_kept_verbatim_in_order(client, world, manager):
    _post(client, world, "a_open_high", "comments", manager, {"text": "已通知保安"})
    body = _post(client, world, "a_open_high", "comments", manager, {"text": "<b>not markup</b>"}).json()

    assert [e["detail"] for e in body["history"]] == ["已通知保安", "<b>not markup</b>"]


def test_empty_comment_is_a_422(client, world, manager):
    assert_problem(_post(client, world, "a_open_high", "comments", manager, {"text": ""}), 422)


def test_snoozed_alert_leaves_the_inbox_until_the_time_passes(client, world, manager):
    before = time.time()
    body = _post(client, world, "a_open_high", "snooze", manager, {"hours": 2}).json()

    inbox = client.get("/api/v1/alerts", params={"snoozed": "false", "site_id": "sh-a"}, headers=manager).json()
    snoozed = client.get("/api/v1/alerts", params={"snoozed": "true"}, headers=manager).json()
    assert world.alerts["a_open_high"] not in [a["id"] for a in inbox["data"]]
    assert [a["id"] for a in snoozed["data"]] == [world.alerts["a_open_high"]]
    until = body["snoozed_until"]
    assert until is not None and before + 7200 - 1 <= _ts(until) <= time.time() + 7200 + 1


@pytest.mark.parametrize("hours", [0, -1, 24 * 31])
def test_snooze_outside_zero_to_thirty_days_is_a_422(client, world, manager, hours):
    assert_problem(_post(client, world, "a_open_high", "snooze", manager, {"hours": hours}), 422)


@pytest.mark.parametrize("action,body", [("assign", {"assignee": "x"}), ("snooze", {"hours": 1})])
def test_resolved_alerts_cannot_be_assigned_or_snoozed(client, world, manager, action, body):
    assert_problem(_post(client, world, "a_resolved_low", action, manager, body), 409)


def test_not_waste_closes_the_alert_and_suppresses_its_kind_on_its_meter_and_hours(client, world, manager):
    # a_open_high runs 02:00-05:00 Shanghai time on 2024-06-01.
    body = _post(client, world, "a_open_high", "feedback", manager, {"reason": "night cleaning", "days": 30}).json()

    assert (body["status"], body["feedback"]) == ("resolved", "not_waste")
    assert body["history"][-1]["action"] == "not_waste"
    with world.sessions() as session:
        rule = session.scalars(select(SuppressionRecord)).one()
    assert (rule.site_id, rule.meter_id, rule.kind) == ("sh-a", "a-corr", "baseline_excess")
    assert (rule.hour_start, rule.hour_end) == (2, 5)
    assert rule.alert_id == world.alerts["a_open_high"] and rule.reason == "night cleaning"
    assert rule.valid_until - rule.created_at == 30 * 86400


def test_not_waste_for_every_kind_leaves_the_kind_open(client, world, manager):
    _post(client, world, "a_open_high", "feedback", manager, {"every_kind": True})

    with world.sessions() as session:
        assert session.scalars(select(SuppressionRecord.kind)).one() is None


def test_not_waste_twice_writes_one_suppression(client, world, manager):
    _post(client, world, "a_open_high", "feedback", manager, {})
    _post(client, world, "a_open_high", "feedback", manager, {})

    with world.sessions() as session:
        assert len(session.scalars(select(SuppressionRecord)).all()) == 1


def test_every_action_moves_updated_at_so_the_stream_sees_it(client, world, manager):
    with world.sessions() as session:
        before = session.get(AlertRecord, world.alerts["a_open_high"]).updated_at

    _post(client, world, "a_open_high", "comments", manager, {"text": "seen"})

    with world.sessions() as session:
        assert session.get(AlertRecord, world.alerts["a_open_high"]).updated_at > before


def test_history_is_part_of_the_alert_detail(client, world, manager):
    _post(client, world, "a_open_high", "acknowledge", manager)
    _post(client, world, "a_open_high", "comments", manager, {"text": "on it"})

    body = client.get(f"/api/v1/alerts/{world.alerts['a_open_high']}", headers=manager).json()

    assert [e["action"] for e in body["history"]] == ["acknowledged", "commented"]


@pytest.mark.parametrize(
    "start_h,hours,expected",
    [(2, 3, (2, 5)), (22, 8, (22, 6)), (21, 3, (21, 24)), (5, 30, (0, 24)), (8, 0.5, (8, 9))],
)
def test_suppressed_hours_are_the_episodes_local_hours(start_h, hours, expected):
    alert = AlertRecord(started_at=T0 + start_h * 3600, ended_at=T0 + int((start_h + hours) * 3600))

    assert local_hours(alert, "Asia/Shanghai") == expected


def _ts(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()
