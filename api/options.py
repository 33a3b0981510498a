"""Tuning of the API process: every ``ApiSettings`` field it uses, plus what only tests change.

The configurable fields are ``ApiSettings``'s: their defaults and meaning live there, and
``from_settings`` copies each by name, so a new setting reaches the app without a second
list to update (tests/api/test_options.py checks every setting is carried or named in
``SERVER_SETTINGS``). Tests hand in their own options.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from api.passwords import DEFAULT_COST, PasswordCost
from core.settings import ApiSettings
from core.timebase import HOUR

#: Settings of the serving process, not of the app it serves: the address ``kilowatch serve``
#: binds, and the admin key it stores before starting (``api.bootstrap.ensure_admin_key``).
SERVER_SETTINGS = frozenset({"host", "port", "admin_key"})


def _setting(name: str):
    """The default of ``ApiSettings.<name>`` (documented there)."""
    return ApiSettings.model_fields[name].default


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """Timings of sessions, the alert stream and webhook delivery."""

    # -- configured: see ``ApiSettings`` for each ------------------------------------
    session_ttl_s: int = _setting("session_ttl_s")
    #: Mark the session cookie Secure even when the request looks like plain HTTP (behind a
    #: TLS proxy whose scheme uvicorn is not told with --forwarded-allow-ips).
    cookie_secure: bool = _setting("cookie_secure")
    #: Lower is fresher but costs a query per connected dashboard per interval.
    stream_poll_s: float = _setting("stream_poll_s")
    #: The browser reconnects (with Last-Event-ID), so proxies never hold a connection for
    #: hours and dropped clients are noticed.
    stream_max_s: float = _setting("stream_max_s")
    webhook_poll_s: float = _setting("webhook_poll_s")
    #: First retry delay; doubles per attempt up to ``webhook_backoff_max_s``.
    webhook_backoff_s: float = _setting("webhook_backoff_s")
    webhook_max_attempts: int = _setting("webhook_max_attempts")
    #: Alerts opened or escalated longer ago than this are not announced (e.g. after a long
    #: outage of the API process), so a restart does not flood group chats with old news.
    webhook_lookback_s: int = _setting("webhook_lookback_s")
    #: Off: a webhook is an admin's, not a way into the network the API runs in.
    webhook_allow_private: bool = _setting("webhook_allow_private")
    public_url: str = _setting("public_url")
    rollup_keep_s: float = _setting("rollup_keep_s")
    response_cache_entries: int = _setting("response_cache_entries")
    response_cache_max_age_s: float = _setting("response_cache_max_age_s")

    # -- not configured: fixed here, changed only by tests ------------------------------
    #: Comment lines keep idle streams alive through proxies that close quiet connections.
    stream_heartbeat_s: float = 15.0
    #: Alert streams one key or user may hold open at once (a dashboard uses one per tab).
    stream_max_per_caller: int = 8
    webhook_backoff_max_s: float = float(HOUR)
    webhook_timeout_s: float = 5.0
    #: Run the outbox loop in the background (tests drive it by hand when False).
    run_outbox: bool = True
    #: Failed sign-ins allowed per client address within the window, and ten times as many per
    #: username (from all addresses: one address alone cannot lock a user out); more answer 429
    #: with Retry-After. argon2id makes each guess slow; this bounds how many there are.
    sign_in_max_failures: int = 5
    sign_in_window_s: float = 300.0
    #: A key that passed is trusted for this long without asking the database again, in each
    #: worker: a revoked key keeps working at most this long. 0 checks every request.
    key_cache_s: float = 5.0
    #: argon2id cost of new password hashes; a stored hash with other parameters is rehashed
    #: at its next sign-in. Never configured from settings: only a test hands in a cheaper one.
    password_cost: PasswordCost = DEFAULT_COST
    #: Largest request body accepted (413 beyond): no route takes more than a site's meters.
    max_body_bytes: int = 4 * 1024 * 1024
    #: Move everything alive after start-up out of the garbage collector's sight (gc.freeze):
    #: a portfolio request allocates enough to trigger full collections, which otherwise walk
    #: every module, schema and cached meter each time (tens of ms at p99). For the served process.
    freeze_gc: bool = False
    #: Build every route's request handling at start-up (``api.app.prepare_routes``, ~1 s of CPU)
    #: instead of in the first request through each router. For the served process; tests skip it.
    prepare_routes: bool = False

    @classmethod
    def from_settings(cls, api: ApiSettings) -> ApiOptions:
        """The options the configured settings ask for; the rest keep their defaults."""
        return cls(**{name: getattr(api, name) for name in CONFIGURED}, freeze_gc=True, prepare_routes=True)


#: The options ``from_settings`` takes from ``ApiSettings``: all of its fields but the server's.
CONFIGURED = tuple(name for name in ApiSettings.model_fields if name not in SERVER_SETTINGS)
_missing = set(CONFIGURED) - {f.name for f in fields(ApiOptions)}
if _missing:  # fail at import, not when a setting silently does nothing
    raise RuntimeError(f"ApiSettings fields without an ApiOptions field: {sorted(_missing)}")
