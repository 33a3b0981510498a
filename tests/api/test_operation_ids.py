"""Every operation has a camelCase operationId a generated client can use as a method name."""

from __future__ import annotations

import re

import pytest

from api.app import create_app
from core.settings import Settings

_CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")


@pytest.fixture(scope="module")
def operations(tmp_path_factory) -> list[tuple[str, str, str | None]]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("ids")), None, None)
    doc = app.openapi()
    return [(method, path, op.get("operationId")) for path, ops in doc["paths"].items() for method, op in ops.items()]


def test_every_operation_id_is_camel_case_without_underscores(operations):
    bad = [(m, p, op_id) for m, p, op_id in operations if not op_id or not _CAMEL.match(op_id)]
    assert not bad


def test_operation_ids_are_unique(operations):
    ids = [op_id for _, _, op_id in operations]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("get", "/api/v1/sites/{site_id}", "getSite"),
        ("get", "/api/v1/sites", "listSites"),
        ("get", "/api/v1/alerts", "listAlerts"),
        ("get", "/api/v1/sites/{site_id}/carbon", "getSiteCarbon"),
        ("get", "/api/v1/carbon", "getPortfolioCarbon"),
        ("post", "/api/v1/alerts/{alert_id}/acknowledge", "acknowledgeAlert"),
    ],
)
def test_expected_names(operations, method, path, expected):
    assert (method, path, expected) in operations
