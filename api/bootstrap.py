"""Start-up chores: the configured admin key exists before the first request."""

from __future__ import annotations

import logging

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.security import Role, hash_key, register_api_key
from core.db.tables import ApiKeyRecord

log = logging.getLogger(__name__)

BOOTSTRAP_KEY_NAME = "configured admin key"


def ensure_admin_key(sessions: sessionmaker[Session], admin_key: SecretStr | None) -> bool:
    """Store ``admin_key`` as an admin key unless it is already stored; True when added."""
    if admin_key is None or not admin_key.get_secret_value():
        return False
    key = admin_key.get_secret_value()
    with sessions() as session:
        exists = session.scalar(select(ApiKeyRecord.id).where(ApiKeyRecord.key_hash == hash_key(key)))
        if exists is not None:
            return False
        register_api_key(session, key, BOOTSTRAP_KEY_NAME, Role.ADMIN.value)
        session.commit()
    log.info("stored the configured admin key as %r", BOOTSTRAP_KEY_NAME)
    return True
