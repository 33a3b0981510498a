"""Every route x every role x a site in scope and one out of scope, generated from the route table.

A new route without a rule here fails ``test_every_route_has_a_rule``. For scoped roles
(manager and viewer of site sh-a) nothing about site bj-b may appear in any answer, and
bj-b's resources answer exactly like resources that do not exist.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from api.options import ApiOptions
from core.db.tables import AlertRecord, GreenInstrumentRecord, WebhookRecord
from tests.api.seed import as_

ROLES = ("viewer", "manager", "admin")  # admin last: its changes must not hide the others' answers
OUT_MARKERS = ("bj-b", "b-corr", "朝阳大厦")
OPTIONS = ApiOptions(run_outbox=False, stream_poll_s=0.05, stream_max_s=0.3)
_serial = itertools.count()

PUBLIC, ANYONE, READ, ACT, ADMIN = "public", "anyone", "read", "act", "admin"
#: Who may use a route on a site in their scope.
ALLOWED = {PUBLIC: set(ROLES), ANYONE: set(ROLES), READ: set(ROLES), ACT: {"manager", "admin"}, ADMIN: {"admin"}}


@dataclass(frozen=True)
class Rule:
    access: str
    #: The path names a site-bound resource, so out of scope means 404.
    scoped: bool = False
    body: object = None
    params: dict = field(default_factory=dict)


def _meter_body():
    return {"meter_id": f"m-{next(_serial)}", "category": "elevator"}


def _site_body():
    return {"site_id": f"s-{next(_serial)}", "name": "新项目", "site_type": "office", "province": "上海"}


RULES: dict[str, Rule] = {
    "GET /api/v1/health": Rule(PUBLIC),
    "GET /api/v1/ready": Rule(PUBLIC),
    "POST /api/v1/auth/session": Rule(PUBLIC, body={"username": "viewer", "password": "viewer-password-123"}),
    "GET /api/v1/auth/session": Rule(ANYONE),
    "DELETE /api/v1/auth/session": Rule(ANYONE),
    "GET /api/v1/sites": Rule(READ),
    "POST /api/v1/sites": Rule(ADMIN, body=_site_body),
    "GET /api/v1/sites/{site_id}": Rule(READ, scoped=True),
    "PATCH /api/v1/sites/{site_id}": Rule(ADMIN, scoped=True, body={"city": "某市"}),
    "POST /api/v1/sites/{site_id}/meters": Rule(ADMIN, scoped=True, body=_meter_body),
    "PATCH /api/v1/sites/{site_id}/meters/{meter_id}": Rule(ADMIN, scoped=True, body={"rated_kw": 2.0}),
    "GET /api/v1/sites/{site_id}/findings": Rule(READ, scoped=True),
    "GET /api/v1/categories": Rule(READ),
    "GET /api/v1/sites/{site_id}/carbon": Rule(READ, scoped=True, params={"start": "2024-06-01", "end": "2024-06-02"}),
    "GET /api/v1/carbon": Rule(READ, params={"start": "2024-06-01", "end": "2024-06-02"}),
    "POST /api/v1/sites/{site_id}/weather": Rule(ACT, scoped=True, body={"csv": "ts,temp_c\n2024-06-01T00:00:00Z,21.5\n"}),
    "GET /api/v1/sites/{site_id}/meters/{meter_id}/series": Rule(
        READ, scoped=True, params={"start": "2024-06-01", "end": "2024-06-02"}
    ),
    "GET /api/v1/alerts": Rule(READ),
    "GET /api/v1/dead-letters": Rule(ADMIN),
    "GET /api/v1/alerts/stream": Rule(READ),
    "GET /api/v1/alerts/{alert_id}": Rule(READ, scoped=True),
    "POST /api/v1/alerts/{alert_id}/acknowledge": Rule(ACT, scoped=True),
    "POST /api/v1/alerts/{alert_id}/resolve": Rule(ACT, scoped=True),
    "POST /api/v1/alerts/{alert_id}/reopen": Rule(ACT, scoped=True),
    "POST /api/v1/alerts/{alert_id}/assign": Rule(ACT, scoped=True, body={"assignee": "wang.li"}),
    "POST /api/v1/alerts/{alert_id}/comments": Rule(ACT, scoped=True, body={"text": "on it"}),
    "POST /api/v1/alerts/{alert_id}/snooze": Rule(ACT, scoped=True, body={"hours": 1}),
    "POST /api/v1/alerts/{alert_id}/feedback": Rule(ACT, scoped=True, body={"reason": "cleaning"}),
    "GET /api/v1/sites/{site_id}/green-instruments": Rule(READ, scoped=True),
    "POST /api/v1/sites/{site_id}/green-instruments": Rule(
        ADMIN,
        scoped=True,
        body={"instrument": "gec", "mwh": 10, "period_start": "2024-06-01", "period_end": "2024-06-30", "vintage_year": 2024},
    ),
    "DELETE /api/v1/sites/{site_id}/green-instruments/{instrument_id}": Rule(ADMIN, scoped=True),
    "GET /api/v1/webhooks": Rule(ADMIN),
    "POST /api/v1/webhooks": Rule(ADMIN, body={"name": "x", "url": "http://127.0.0.1:9/hook"}),
    "GET /api/v1/webhooks/{webhook_id}": Rule(ADMIN),
    "PATCH /api/v1/webhooks/{webhook_id}": Rule(ADMIN, body={"name": "y"}),
    "DELETE /api/v1/webhooks/{webhook_id}": Rule(ADMIN),
    "GET /api/v1/webhooks/{webhook_id}/deliveries": Rule(ADMIN),
    "POST /api/v1/webhooks/{webhook_id}/test": Rule(ADMIN),
    "GET /metrics": Rule(ADMIN),
    "GET /": Rule(PUBLIC),
}


def _route_table() -> set[str]:
    app = create_app(None, None, None, OPTIONS)
    return {f"{method} {path}" for method, path in app.state.route_table}


def test_every_route_has_a_rule():
    routes = _route_table()

    assert routes - RULES.keys() == set(), "add a rule to RULES for each new route"
    assert RULES.keys() - routes == set(), "remove rules of routes that are gone"


def test_the_route_table_matches_the_openapi_document():
    app = create_app(None, None, None, OPTIONS)
    documented = {f"{m.upper()} {path}" for path, ops in app.openapi()["paths"].items() for m in ops}

    assert documented == _route_table() - {"GET /"}


@pytest.fixture
def matrix_client(world, settings):
    with world.sessions() as session:
        hook = WebhookRecord(
            name="w",
            url="http://127.0.0.1:9/hook",
            format="json",
            events=["alert.opened"],
            site_ids=None,
            secret=None,
            active=True,
            created_at=0,
        )
        session.add(hook)
        instruments = {
            site: GreenInstrumentRecord(
                site_id=site, instrument="gec", mwh=1, period_start=0, period_end=1, vintage_year=2024, reference="", created_at=0
            )
            for site in ("sh-a", "bj-b")
        }
        session.add_all(instruments.values())
        # A fresh change on bj-b, so a leaking stream would show it.
        session.execute(
            update(AlertRecord).where(AlertRecord.id == world.alerts["b_open_high"]).values(updated_at=int(time.time()) + 5)
        )
        session.commit()
        world.webhook_id = hook.id
        world.instrument_ids = {site: record.id for site, record in instruments.items()}
    with TestClient(create_app(settings, world.store, world.sessions, OPTIONS), raise_server_exceptions=False) as client:
        yield client


def _path(template: str, world, scope: str) -> str:
    values = {
        "in": {
            "site_id": "sh-a",
            "meter_id": "a-corr",
            "alert_id": world.alerts["a_open_high"],
            "instrument_id": world.instrument_ids["sh-a"],
        },
        "out": {
            "site_id": "bj-b",
            "meter_id": "b-corr",
            "alert_id": world.alerts["b_open_high"],
            "instrument_id": world.instrument_ids["bj-b"],
        },
        "missing": {"site_id": "xx-none", "meter_id": "nope", "alert_id": 99999, "instrument_id": 99998},
    }[scope]
    return template.format(**values, webhook_id=world.webhook_id)


def _call(client, rule: Rule, method: str, path: str, headers: dict):
    body = rule.body() if callable(rule.body) else rule.body
    return client.request(method, path, headers=headers, params=rule.params, json=body)


def _same_as_missing(client, rule, method, template, world, headers, out_response) -> None:
    missing = _call(client, rule, method, _path(template, world, "missing"), headers)
    expected = missing.text
    for gone, hidden in (("xx-none", "bj-b"), ("'nope'", "'b-corr'"), ("99999", str(world.alerts["b_open_high"]))):
        expected = expected.replace(gone, hidden)
    assert (out_response.status_code, out_response.text) == (404, expected)


@pytest.mark.parametrize("route", sorted(RULES))
def test_route_answers_each_role_in_and_out_of_scope(matrix_client, world, route):
    method, template = route.split(" ", 1)
    rule = RULES[route]
    if rule.access == PUBLIC:
        assert _call(matrix_client, rule, method, template, {}).status_code < 400
        return
    for role in ROLES:
        headers = as_(world.keys[role])
        matrix_client.cookies.clear()
        inside = _call(matrix_client, rule, method, _path(template, world, "in"), headers)
        allowed = role in ALLOWED[rule.access]
        if allowed:
            assert inside.status_code < 400 or inside.status_code == 409, (role, inside.text)
        else:
            assert inside.status_code == 403, (role, inside.status_code, inside.text)
        scoped_role = role != "admin"
        if rule.scoped:
            outside = _call(matrix_client, rule, method, _path(template, world, "out"), headers)
            if scoped_role:
                _same_as_missing(matrix_client, rule, method, template, world, headers, outside)
            else:
                assert outside.status_code < 400 or outside.status_code == 409, (role, outside.text)
        elif scoped_role and allowed:
            assert not any(marker in inside.text for marker in OUT_MARKERS), (role, inside.text[:300])


def test_the_leak_check_would_see_another_sites_data():
    """Guard for the matrix: the unscoped admin does see bj-b in lists, so absence means something."""
    assert all(marker for marker in OUT_MARKERS)


def test_admin_lists_and_stream_do_show_the_other_site(matrix_client, world):
    admin = as_(world.keys["admin"])

    for path in ("/api/v1/sites", "/api/v1/alerts", "/api/v1/alerts/stream"):
        assert "bj-b" in matrix_client.get(path, headers=admin).text, path
