"""API keys (stored only as SHA-256 hashes), roles, and what a caller may see and do."""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.tables import ApiKeyRecord

__all__ = [
    "KEY_PREFIX",
    "Principal",
    "Role",
    "authenticate",
    "create_api_key",
    "hash_key",
    "register_api_key",
]

KEY_PREFIX = "kw_"
#: Characters of a key kept in clear to tell keys apart in listings; 8 random
#: characters identify a key among thousands yet leave ~250 bits unknown.
_SHOWN_CHARS = len(KEY_PREFIX) + 8


class Role(str, enum.Enum):
    """What a key may do: admin everything; manager reads and acts on alerts; viewer reads."""

    ADMIN = "admin"
    MANAGER = "manager"
    VIEWER = "viewer"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: an API key (without its secret) or a signed-in dashboard user."""

    key_id: int
    name: str
    role: Role
    #: Site ids the caller may see; None means every site.
    site_ids: frozenset[str] | None
    #: "key" for API keys, "user" for dashboard sessions; ``key_id`` is then the user id.
    via: str = "key"

    @property
    def actor(self) -> str:
        """How the caller is named in alert history."""
        return self.name if self.via == "user" else f"key:{self.name}"

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def can_act_on_alerts(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)

    def sees(self, site_id: str) -> bool:
        return self.site_ids is None or site_id in self.site_ids


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def register_api_key(session: Session, key: str, name: str, role: str, site_ids: list[str] | None = None) -> ApiKeyRecord:
    """Store a key whose plaintext the caller already has (e.g. the configured admin key)."""
    Role(role)  # rejects unknown roles before anything is written
    record = ApiKeyRecord(
        name=name,
        prefix=key[:_SHOWN_CHARS],
        key_hash=hash_key(key),
        role=role,
        site_ids=sorted(site_ids) if site_ids is not None else None,
        created_at=int(time.time()),
    )
    session.add(record)
    session.flush()
    return record


def create_api_key(session: Session, name: str, role: str, site_ids: list[str] | None = None) -> str:
    """Create a key and return its plaintext, which is not stored and cannot be shown again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    register_api_key(session, key, name, role, site_ids)
    return key


def authenticate(session: Session, key: str) -> ApiKeyRecord | None:
    """The live key record matching ``key``, or None; hashes are compared in constant time."""
    if not key:
        return None
    digest = hash_key(key)
    candidates = session.scalars(
        select(ApiKeyRecord).where(ApiKeyRecord.prefix == key[:_SHOWN_CHARS], ApiKeyRecord.revoked.is_(False))
    )
    found = None
    # Every candidate is compared so the time taken does not tell which one matched.
    for record in candidates:
        if hmac.compare_digest(record.key_hash, digest):
            found = record
    return found


def principal_of(record: ApiKeyRecord) -> Principal:
    sites = frozenset(record.site_ids) if record.site_ids is not None else None
    return Principal(key_id=record.id, name=record.name, role=Role(record.role), site_ids=sites)
