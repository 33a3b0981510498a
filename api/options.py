"""Tuning of the API process, taken from ``ApiSettings``; tests hand in their own."""

from __future__ import annotations

from dataclasses import dataclass

from api.passwords import DEFAULT_COST, PasswordCost
from core.settings import ApiSettings


@dataclass(frozen=True, slots=True)
class ApiOptions:
    """Timings of sessions, the alert stream and webhook delivery."""

    #: Dashboard sessions last one working day; longer leaves stolen cookies useful for longer.
    session_ttl_s: int = 12 * 3600
    #: Mark the session cookie Secure even when the request looks like plain HTTP (behind a
    #: TLS proxy whose scheme uvicorn is not told with --forwarded-allow-ips).
    cookie_secure: bool = False
    #: How often the alert stream asks the database for changes; lower is fresher but costs a
    #: query per connected dashboard per interval.
    stream_poll_s: float = 2.0
    #: A stream ends after this long and the browser reconnects (with Last-Event-ID), so
    #: proxies never hold a connection for hours and dropped clients are noticed.
    stream_max_s: float = 300.0
    #: Comment lines keep idle streams alive through proxies that close quiet connections.
    stream_heartbeat_s: float = 15.0
    #: Alert streams one key or user may hold open at once (a dashboard uses one per tab).
    stream_max_per_caller: int = 8
    #: How often the outbox looks for new events and due deliveries.
    webhook_poll_s: float = 2.0
    #: First retry delay; doubles per attempt up to ``webhook_backoff_max_s``.
    webhook_backoff_s: float = 10.0
    webhook_backoff_max_s: float = 3600.0
    #: Attempts before a delivery is given up as failed (about 21 h with the defaults).
    webhook_max_attempts: int = 8
    webhook_timeout_s: float = 5.0
    #: Alerts opened or escalated longer ago than this are not announced (e.g. after a long
    #: outage of the API process), so a restart does not flood group chats with old news.
    webhook_lookback_s: int = 6 * 3600
    #: Deliver to loopback, private and reserved addresses too (internal receivers). Off: a
    #: webhook is an admin's, not a way into the network the API runs in.
    webhook_allow_private: bool = False
    #: Run the outbox loop in the background (tests drive it by hand when False).
    run_outbox: bool = True
    #: Seconds between rounds of keeping the store's carbon rollups (InfluxDB 1.x); 0: never.
    rollup_keep_s: float = 300.0
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

    @classmethod
    def from_settings(cls, api: ApiSettings) -> ApiOptions:
        """The options the configured settings ask for; the rest keep their defaults."""
        return cls(
            session_ttl_s=api.session_ttl_s,
            cookie_secure=api.cookie_secure,
            stream_poll_s=api.stream_poll_s,
            stream_max_s=api.stream_max_s,
            webhook_poll_s=api.webhook_poll_s,
            webhook_backoff_s=api.webhook_backoff_s,
            webhook_max_attempts=api.webhook_max_attempts,
            webhook_lookback_s=api.webhook_lookback_s,
            webhook_allow_private=api.webhook_allow_private,
            rollup_keep_s=api.rollup_keep_s,
            freeze_gc=True,
        )
