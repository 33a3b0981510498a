"""Numbers and booleans in request bodies must be JSON numbers and booleans, as documented.

Pydantic's lax mode took `true` for 1, `"24"` for 24 and `1` for true; the document says
number or boolean, so anything else is a 422 (schemathesis' negative data found these).
"""

from __future__ import annotations

import pytest

from tests.api.seed import as_, assert_problem

SITE_TOU = [{"name": "all", "start": "00:00", "end": "24:00", "price": True}]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/v1/alerts/{a}/snooze", {"hours": True}, "hours"),
        ("POST", "/api/v1/alerts/{a}/snooze", {"hours": "24"}, "hours"),
        ("POST", "/api/v1/alerts/{a}/feedback", {"days": "30"}, "days"),
        ("POST", "/api/v1/alerts/{a}/feedback", {"every_kind": 1}, "every_kind"),
        ("POST", "/api/v1/webhooks", {"name": "w", "url": "https://example.com/h", "active": "yes"}, "active"),
        (
            "POST",
            "/api/v1/sites/sh-a/green-instruments",
            {"instrument": "gec", "mwh": True, "period_start": "2024-01-01", "period_end": "2024-12-31", "vintage_year": 2024},
            "mwh",
        ),
        (
            "POST",
            "/api/v1/sites/sh-a/green-instruments",
            {"instrument": "gec", "mwh": 1, "period_start": "2024-01-01", "period_end": "2024-12-31", "vintage_year": "2024"},
            "vintage_year",
        ),
        ("PATCH", "/api/v1/sites/sh-a", {"tou_tariff": SITE_TOU}, "price"),
    ],
    ids=[
        "snooze-bool",
        "snooze-text",
        "feedback-days-text",
        "feedback-int-as-bool",
        "webhook-active-text",
        "instrument-mwh-bool",
        "instrument-year-text",
        "tariff-price-bool",
    ],
)
def test_a_number_or_boolean_of_another_json_type_is_a_422(client, world, method, path, body, field):
    url = path.format(a=world.alerts["a_open_high"])

    problem = assert_problem(client.request(method, url, json=body, headers=as_(world.keys["admin"])), 422)

    assert field in problem["errors"][0]["loc"]


def test_an_integer_is_still_a_number(client, world):
    url = f"/api/v1/alerts/{world.alerts['a_open_high']}/snooze"

    assert client.post(url, json={"hours": 24}, headers=as_(world.keys["admin"])).status_code == 200


def test_an_integral_float_is_still_an_integer(client, world):
    # JSON Schema calls 30.0 an integer; strict pydantic would not.
    url = f"/api/v1/alerts/{world.alerts['a_open_high']}/feedback"

    response = client.post(url, json={"days": 30.0}, headers=as_(world.keys["admin"]))

    assert response.status_code == 200, response.text
