"""Dashboard users and their sign-in sessions: the cookie holds a random token, the row its hash."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.passwords import (
    DEFAULT_COST,
    MIN_PASSWORD_CHARS,
    PasswordCost,
    hash_password,
    needs_rehash,
    verify_password,
    waste_a_check,
)
from api.security import Principal, Role
from core.db.tables import UserRecord, WebSessionRecord

__all__ = [
    "COOKIE_NAME",
    "CSRF_HEADER",
    "OpenedSession",
    "close_session",
    "create_user",
    "open_session",
    "principal_of_user",
    "session_of_token",
    "sign_in",
]

COOKIE_NAME = "kw_session"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True, slots=True)
class OpenedSession:
    """A new session: the cookie token and CSRF token are shown once, to the browser."""

    token: str
    csrf_token: str
    expires_at: int
    user: UserRecord


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    site_ids: list[str] | None = None,
    *,
    display_name: str = "",
    locale: str = "zh",
) -> UserRecord:
    """Add a user; ValueError for an unknown role, a short password or a taken username."""
    Role(role)
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"passwords need at least {MIN_PASSWORD_CHARS} characters")
    if session.scalar(select(UserRecord.id).where(UserRecord.username == username)) is not None:
        raise ValueError(f"username {username!r} is taken")
    record = UserRecord(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        site_ids=None if role == Role.ADMIN.value else sorted(site_ids or []),
        locale=locale,
        disabled=False,
        created_at=int(time.time()),
    )
    session.add(record)
    session.flush()
    return record


def sign_in(session: Session, username: str, password: str, cost: PasswordCost = DEFAULT_COST) -> UserRecord | None:
    """The enabled user with this username and password, or None (same time either way).

    A stored hash made with other parameters than ``cost`` (or the scrypt of older
    releases) is replaced by a new one; the caller commits it with the session it opens.
    """
    user = session.scalar(select(UserRecord).where(UserRecord.username == username))
    if user is None:
        waste_a_check(password, cost)
        return None
    if not verify_password(password, user.password_hash) or user.disabled:
        return None
    if needs_rehash(user.password_hash, cost):
        # Only now is the plaintext at hand: the one moment an old hash can be upgraded.
        user.password_hash = hash_password(password, cost)
    return user


def open_session(session: Session, user: UserRecord, ttl_s: int, now: int | None = None) -> OpenedSession:
    """Store a new session for ``user`` and drop the user's expired ones."""
    now = int(time.time()) if now is None else now
    session.execute(delete(WebSessionRecord).where(WebSessionRecord.user_id == user.id, WebSessionRecord.expires_at <= now))
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    session.add(
        WebSessionRecord(token_hash=_digest(token), user_id=user.id, csrf_token=csrf, created_at=now, expires_at=now + ttl_s)
    )
    session.flush()
    return OpenedSession(token=token, csrf_token=csrf, expires_at=now + ttl_s, user=user)


def session_of_token(session: Session, token: str, now: int | None = None) -> tuple[WebSessionRecord, UserRecord] | None:
    """The live session and its enabled user for a cookie token, or None."""
    if not token:
        return None
    now = int(time.time()) if now is None else now
    row = session.get(WebSessionRecord, _digest(token))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(UserRecord, row.user_id)
    if user is None or user.disabled:
        return None
    return row, user


def close_session(session: Session, token: str) -> None:
    session.execute(delete(WebSessionRecord).where(WebSessionRecord.token_hash == _digest(token)))


def principal_of_user(user: UserRecord) -> Principal:
    sites = frozenset(user.site_ids) if user.site_ids is not None else None
    return Principal(key_id=user.id, name=user.username, role=Role(user.role), site_ids=sites, via="user")
