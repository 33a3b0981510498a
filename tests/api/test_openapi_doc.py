"""The OpenAPI document declares every problem an operation can answer, as problem+json."""

from __future__ import annotations

import re

import pytest

from api.app import create_app
from api.schemas.webhooks import URL_PATTERN, WebhookCreate
from tests.api.seed import as_, assert_problem


@pytest.fixture
def document(world, settings):
    return create_app(settings, world.store, world.sessions).openapi()


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_documents_the_400_of_a_nul_character(document):
    missing = [name for name, operation in _operations(document) if "400" not in operation["responses"]]

    assert missing == []


def test_every_error_is_documented_as_a_problem_document(document):
    wrong = {
        (name, status): entry.get("content")
        for name, operation in _operations(document)
        for status, entry in operation["responses"].items()
        if status[0] in "45"
        and entry.get("content") != {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemPublic"}}}
    }

    assert wrong == {}
    assert "HTTPValidationError" not in document["components"]["schemas"]


@pytest.mark.parametrize(
    ("operation", "statuses"),
    [
        ("GET /api/v1/health", {"400"}),
        ("GET /api/v1/alerts", {"400", "401", "422", "503"}),
        ("POST /api/v1/webhooks", {"400", "401", "403", "413", "422", "503"}),
        ("PATCH /api/v1/sites/{site_id}", {"400", "401", "403", "404", "413", "422", "503"}),
        ("GET /metrics", {"400", "401", "403", "503"}),
    ],
)
def test_problem_statuses_follow_from_what_the_route_uses(document, operation, statuses):
    declared = dict(_operations(document))[operation]["responses"]

    assert {status for status in declared if status[0] in "45"} == statuses


def test_a_body_that_is_not_utf8_is_a_documented_400(client, world, document):
    response = client.post(
        "/api/v1/webhooks",
        content=b'{"name": "\xff\xfe"}',
        headers={**as_(world.keys["admin"]), "Content-Type": "application/json"},
    )

    assert_problem(response, 400)
    assert "400" in dict(_operations(document))["POST /api/v1/webhooks"]["responses"]


@pytest.mark.parametrize(
    "url",
    [
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        "http://127.0.0.1:9/hook",
        "HTTP://a",
        "https://u:p@hooks.example.com/x#frag",
        "http://xn--fiqs8s.cn/中文路径",
    ],
)
def test_a_url_the_document_allows_is_accepted(url):
    assert re.fullmatch(URL_PATTERN, url)
    assert WebhookCreate(name="w", url=url).url == url


@pytest.mark.parametrize("url", ["http://a b/", "http://a/\x1db", "ftp://example.com/x", "http:///nohost", "http://[10]/"])
def test_a_url_the_document_refuses_is_refused(url):
    assert not re.fullmatch(URL_PATTERN, url)
    with pytest.raises(ValueError):
        WebhookCreate(name="w", url=url)
