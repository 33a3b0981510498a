"""Password hashing for dashboard users: scrypt with a random salt, parameters kept in the hash."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

__all__ = ["MIN_PASSWORD_CHARS", "hash_password", "verify_password", "waste_a_check"]

#: Shorter passwords are refused when a user is created.
MIN_PASSWORD_CHARS = 10
# scrypt cost: n=2**14, r=8 uses 16 MiB and about 50 ms per check, the OWASP minimum;
# higher n slows every sign-in and the test suite without a matching gain for a dashboard.
_N, _R, _P = 2**14, 8, 1
_DKLEN = 32
_SALT_BYTES = 16
_SCHEME = "scrypt"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # maxmem must exceed 128 * n * r bytes or OpenSSL refuses the parameters.
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=256 * n * r + 2**20)


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64): everything needed to check it later."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _derive(password, salt, _N, _R, _P, _DKLEN)
    return f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False for any malformed hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.b64decode(digest)
        actual = _derive(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def waste_a_check(password: str) -> None:
    """Spend the time of one check, so an unknown username answers as slowly as a known one."""
    verify_password(password, _dummy_hash())
