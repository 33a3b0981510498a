"""Schemathesis fuzzes the app against its own OpenAPI document: no 5xx, every answer as documented.

Runs in-process (ASGI) as an admin, one test per operation so a failure names it; the
number of examples per operation is bounded to keep the suite quick on a shared machine.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance,
)

from api.app import create_app
from core.db.tables import GreenInstrumentRecord, WebhookRecord
from api.options import ApiOptions
from core.settings import Settings
from tests.api.seed import as_

#: Examples per operation: enough to reach edge values of each parameter, little enough for CI.
EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
OPTIONS = ApiOptions(run_outbox=False, stream_poll_s=0.01, stream_max_s=0.05)
# The document needs no database: read it once to name the tests.
OPERATIONS = sorted(
    (path, method.upper())
    for path, ops in create_app(Settings(), None, None, OPTIONS).openapi()["paths"].items()
    for method in ops
)


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_operation_answers_as_documented(world, settings, path, method):
    app = create_app(settings, world.store, world.sessions, OPTIONS)
    operation = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)[path][method]
    admin = as_(world.keys["admin"])
    known = _known_ids(world)

    @given(case=operation.as_strategy())
    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        case.call_and_validate(headers=admin, checks=CHECKS)
        if case.path_parameters:
            # Random ids mostly miss (404); the same case on seeded ids reaches the handler's body.
            case.path_parameters = {name: known.get(name, value) for name, value in case.path_parameters.items()}
            case.call_and_validate(headers=admin, checks=CHECKS)

    fuzz()



def _known_ids(world) -> dict[str, object]:
    """Path parameters naming seeded resources, including a webhook and a green instrument."""
    with world.sessions() as session:
        hook = WebhookRecord(name="w", url="http://127.0.0.1:9/hook", format="json", events=["alert.opened"],
                             site_ids=None, secret=None, active=True, created_at=0)
        instrument = GreenInstrumentRecord(site_id="sh-a", instrument="gec", mwh=1, period_start=0, period_end=1,
                                           vintage_year=2024, reference="", created_at=0)
        session.add_all([hook, instrument])
        session.commit()
        return {"site_id": "sh-a", "meter_id": "a-corr", "alert_id": world.alerts["a_open_high"],
                "webhook_id": hook.id, "instrument_id": instrument.id}
