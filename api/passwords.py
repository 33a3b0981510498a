"""Password hashing for dashboard users: argon2id, parameters kept in the hash, old hashes upgraded.

Hashes made with older parameters (or the scrypt of earlier releases) still verify;
``needs_rehash`` tells sign-in to store a new hash while it holds the plaintext.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "DEFAULT_COST",
    "MIN_PASSWORD_CHARS",
    "PasswordCost",
    "hash_password",
    "needs_rehash",
    "verify_password",
    "waste_a_check",
]

#: Shorter passwords are refused when a user is created.
MIN_PASSWORD_CHARS = 10
_ARGON2_PREFIX = "$argon2"
_LEGACY_SCRYPT = "scrypt"


@dataclass(frozen=True, slots=True)
class PasswordCost:
    """argon2id parameters: passes over memory, memory in KiB, lanes."""

    time_cost: int
    memory_kib: int
    parallelism: int


#: OWASP's argon2id row m=19 MiB, t=2, p=1 (about 80 ms per check on a busy 2-core host).
#: Its other rows (46 MiB x 1 pass, ...) resist the same; the smaller memory lets more
#: sign-ins run at once. Anything cheaper exists only as an explicit option (tests).
DEFAULT_COST = PasswordCost(time_cost=2, memory_kib=19 * 1024, parallelism=1)


@functools.cache
def _hasher(cost: PasswordCost) -> PasswordHasher:
    return PasswordHasher(
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def hash_password(password: str, cost: PasswordCost = DEFAULT_COST) -> str:
    """A PHC string ``$argon2id$v=19$m=..,t=..,p=..$salt$hash``: everything needed to check it later."""
    return _hasher(cost).hash(password)


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored`` (argon2id, or a legacy scrypt hash); False for any malformed hash."""
    if stored.startswith(_LEGACY_SCRYPT + "$"):
        return _verify_scrypt(password, stored)
    if not stored.startswith(_ARGON2_PREFIX):
        return False
    try:
        # The parameters come from the stored hash, so any cost verifies with any hasher.
        return _hasher(DEFAULT_COST).verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str, cost: PasswordCost = DEFAULT_COST) -> bool:
    """True when ``stored`` was not made by argon2id with exactly ``cost`` (older or other parameters)."""
    if not stored.startswith(_ARGON2_PREFIX):
        return True
    try:
        return _hasher(cost).check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def _verify_scrypt(password: str, stored: str) -> bool:
    # Releases before argon2id stored scrypt$n$r$p$salt$hash (base64); kept to let those users sign in once more.
    try:
        _scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        n_, r_ = int(n), int(r)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=n_,
            r=r_,
            p=int(p),
            dklen=len(expected),
            maxmem=256 * n_ * r_ + 2**20,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash(cost: PasswordCost) -> str:
    return hash_password(secrets.token_urlsafe(16), cost)


def waste_a_check(password: str, cost: PasswordCost = DEFAULT_COST) -> None:
    """Spend the time of one check, so an unknown username answers as slowly as a known one."""
    verify_password(password, _dummy_hash(cost))
