"""Oversized request bodies are refused with a 413 problem before anything buffers them."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import QUIET
from tests.api.seed import as_, assert_problem

SMALL = replace(QUIET, max_body_bytes=1000)


def _comments(world) -> str:
    return f"/api/v1/alerts/{min(world.alerts.values())}/comments"


def _client(world, settings) -> TestClient:
    return TestClient(create_app(settings, world.store, world.sessions, SMALL), raise_server_exceptions=False)


def test_a_declared_oversized_body_is_refused_without_credentials(world, settings):
    with _client(world, settings) as client:
        response = client.post(_comments(world), content=b"x" * 5000, headers={"Content-Type": "application/json"})
    body = assert_problem(response, 413)
    assert "1,000 bytes" in body["detail"]


def test_a_streamed_oversized_body_is_refused_as_it_arrives(world, settings):
    def chunks():
        for _ in range(10):
            yield b'{"text": "' + b"y" * 200 + b'"}'

    with _client(world, settings) as client:
        # A generator goes out chunked: no Content-Length to check up front.
        response = client.post(
            _comments(world), content=chunks(), headers={**as_(world.keys["admin"]), "Content-Type": "application/json"}
        )
    assert_problem(response, 413)


def test_bodies_under_the_limit_are_served(world, settings):
    with _client(world, settings) as client:
        response = client.post(_comments(world), json={"text": "灯已关闭"}, headers=as_(world.keys["admin"]))
    assert response.status_code == 200, response.text
    assert response.json()["history"][-1]["detail"] == "灯已关闭"
