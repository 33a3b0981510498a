"""The configured admin key works from the first request and is stored only once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from core.db.tables import ApiKeyRecord
from core.settings import ApiSettings, Settings
from tests.api.seed import as_

CONFIGURED = "kw_configured-admin-key-for-tests-0123456789"


def test_configured_admin_key_is_accepted(world, tmp_path):
    settings = Settings(data_dir=tmp_path, api=ApiSettings(admin_key=CONFIGURED))
    with TestClient(create_app(settings, world.store, world.sessions)) as client:
        response = client.get("/metrics", headers=as_(CONFIGURED))

    assert response.status_code == 200


def test_configured_admin_key_is_stored_once_across_restarts(world, tmp_path):
    settings = Settings(data_dir=tmp_path, api=ApiSettings(admin_key=CONFIGURED))
    for _ in range(2):
        with TestClient(create_app(settings, world.store, world.sessions)):
            pass

    with world.sessions() as session:
        count = session.scalar(select(func.count()).select_from(ApiKeyRecord).where(ApiKeyRecord.role == "admin"))
    assert count == 2  # the seeded admin and the configured one
