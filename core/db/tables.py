"""Database records. Rows are ``*Record``; HTTP payloads live in ``api.schemas``."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.timebase import HOME_TIMEZONE

#: The column type of ``SiteRecord.opening_hours`` (migration 0007 writes the same).
OPENING_HOURS_TYPE = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


class SiteRecord(Base):
    __tablename__ = "sites"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    site_type: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(100), default="")
    province: Mapped[str] = mapped_column(String(32))
    latitude: Mapped[float] = mapped_column(Float, default=0.0)
    longitude: Mapped[float] = mapped_column(Float, default=0.0)
    timezone: Mapped[str] = mapped_column(String(64), default=HOME_TIMEZONE)
    #: given | province_capital (no coordinates were given: core.site_rules.locate).
    location_source: Mapped[str] = mapped_column(String(16), default="given", server_default="given")
    #: When an empty meta announcement removed the site (epoch seconds); None while active.
    #: A retired site keeps its rows and data; ingest refuses its readings.
    retired_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The site's first stored reading (epoch seconds), kept by the carbon route so a ledger
    #: "since the first reading" costs two store queries instead of a ~20-query search; None
    #: until first needed. Checked against the store on each use (backfill, retention).
    first_reading_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: CNY per kWh; None means the configured default tariff.
    tariff_cny_per_kwh: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: Time-of-use periods in local time, e.g. [{"name": "peak", "start": "08:00",
    #: "end": "11:00", "price": 1.25}, ...]; None means the flat tariff above.
    tou_tariff: Mapped[list[dict] | None] = mapped_column(JSON, nullable=True)
    #: Declared opening hours, local time: {"workday": {"open": "08:00", "close": "19:00"},
    #: "other": null} (null: closed); None: none declared (core.site_rules.check_opening_hours).
    #: JSONB on PostgreSQL: a meta announcement's upsert compares it, and json has no equality.
    opening_hours: Mapped[dict | None] = mapped_column(OPENING_HOURS_TYPE, nullable=True)


class MeterRecord(Base):
    __tablename__ = "meters"

    meter_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    rated_kw: Mapped[float] = mapped_column(Float, default=0.0)
    name: Mapped[str] = mapped_column(String(200), default="")
    #: Register rollover point announced by the gateway; None when unknown.
    register_max: Mapped[float | None] = mapped_column(Float, nullable=True)


class AlertRecord(Base):
    """One waste episode on one meter; re-detection updates the same row."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("meter_id", "kind", "started_at", name="uq_alert_episode"),
        # The inbox: open work sorted by waste, for everyone and per site; snoozed_until lets
        # the inbox count (not snoozed) read the index alone.
        Index("ix_alerts_status_waste_snoozed", "status", "wasted_kwh", "id", "snoozed_until"),
        Index("ix_alerts_site_status_waste", "site_id", "status", "wasted_kwh", "id"),
        # The live stream and the webhook outbox look for recent changes.
        Index("ix_alerts_updated_at", "updated_at"),
        Index("ix_alerts_created_at", "created_at"),
        Index("ix_alerts_escalated_at", "escalated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id", ondelete="CASCADE"), index=True)
    meter_id: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(32))
    #: Which check fired, e.g. "baseline_excess".
    kind: Mapped[str] = mapped_column(String(48))
    #: open | acknowledged | resolved
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    #: low | medium | high
    severity: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[int] = mapped_column(Integer)
    #: Last interval of the episode seen so far (epoch seconds, exclusive).
    ended_at: Mapped[int] = mapped_column(Integer)
    #: True while the episode may still be growing; frozen when False.
    ongoing: Mapped[bool] = mapped_column(default=True)
    actual_kwh: Mapped[float] = mapped_column(Float)
    expected_kwh: Mapped[float] = mapped_column(Float)
    wasted_kwh: Mapped[float] = mapped_column(Float)
    cost_cny: Mapped[float] = mapped_column(Float)
    co2e_kg: Mapped[float] = mapped_column(Float)
    #: The factor used for co2e_kg, with its source and data year.
    factor_kg_per_kwh: Mapped[float] = mapped_column(Float)
    factor_source: Mapped[str] = mapped_column(Text, default="")
    explanation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[int] = mapped_column(Integer)
    # Workflow: who holds it, when people acted, and what the fix verification found.
    assignee: Mapped[str | None] = mapped_column(String(100), nullable=True)
    snoozed_until: Mapped[int | None] = mapped_column(Integer, nullable=True)
    acknowledged_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolved_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: How often the alert came back after being resolved.
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    #: None | "watching" (resolved, days after compared with baseline) | "verified" | "failed"
    verification: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: None | "not_waste" (a manager's verdict; reaches suppression and retraining)
    feedback: Mapped[str | None] = mapped_column(String(16), nullable=True)
    escalated_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Data time at which the detector first had enough evidence (epoch seconds); None for
    #: alerts stored before it was a column without one in their explanation.
    detected_at: Mapped[int | None] = mapped_column(Integer, nullable=True)


class AlertEventRecord(Base):
    """One entry of an alert's history: detector updates and people's actions."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[int] = mapped_column(Integer)
    #: Who acted: a user or key name, or "detector".
    actor: Mapped[str] = mapped_column(String(100))
    #: opened | updated | closed | acknowledged | assigned | commented | snoozed |
    #: resolved | reopened | not_waste | escalated | verified
    action: Mapped[str] = mapped_column(String(24))
    #: Free text (a comment) or a JSON object with the action's details.
    detail: Mapped[str] = mapped_column(Text, default="")


class SuppressionRecord(Base):
    """Feedback "not waste": similar alerts on this meter and time window stay quiet."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id", ondelete="CASCADE"), index=True)
    meter_id: Mapped[str] = mapped_column(String(64), index=True)
    #: The waste kind suppressed; None means every kind on the meter.
    kind: Mapped[str | None] = mapped_column(String(48), nullable=True)
    #: Local hours [hour_start, hour_end) of the day; wraps past midnight when start > end.
    hour_start: Mapped[int] = mapped_column(Integer, default=0)
    hour_end: Mapped[int] = mapped_column(Integer, default=24)
    valid_until: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    alert_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[int] = mapped_column(Integer)


class DataFindingRecord(Base):
    """A data-quality finding (stale meter, reset, stuck register, spike, gap): never waste."""

    __tablename__ = "data_findings"
    # site_id too: site-level findings (no_coordinates, detection_failed) have meter_id "".
    __table_args__ = (UniqueConstraint("site_id", "meter_id", "kind", "started_at", name="uq_data_finding"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id", ondelete="CASCADE"), index=True)
    meter_id: Mapped[str] = mapped_column(String(64), index=True)
    #: stale_meter | register_reset | register_rollover | stuck_register | spike | gap | out_of_order;
    #: site-level (meter_id ""): no_coordinates | detection_failed
    kind: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[int] = mapped_column(Integer)
    ended_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    open: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    #: JSON object with what was seen (e.g. last reading, expected interval).
    detail: Mapped[str] = mapped_column(Text, default="")
    #: ingest | detector
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[int] = mapped_column(Integer)


class BaselineRecord(Base):
    """A trained baseline of one meter, with the metadata needed to trust and reuse it."""

    __tablename__ = "baselines"

    meter_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(32))
    trained_at: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[int] = mapped_column(Integer)
    window_end: Mapped[int] = mapped_column(Integer)
    features: Mapped[list[str]] = mapped_column(JSON)
    #: Fit quality on the training window, e.g. {"cv_rmse": 0.12, "nmbe": 0.01, "hours": 640}.
    quality: Mapped[dict] = mapped_column(JSON)
    #: The serialised estimator (pickle of a kilowatch ``models`` estimator; trusted data only).
    model: Mapped[bytes] = mapped_column(LargeBinary)


class UserRecord(Base):
    """A person who signs in to the dashboard (facility manager, viewer or admin)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    #: argon2id hash (PHC string with its parameters and salt; older rows scrypt); never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: admin | manager | viewer
    role: Mapped[str] = mapped_column(String(16))
    site_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    #: zh | en
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(Integer)


class WebSessionRecord(Base):
    """A signed-in dashboard session; the cookie holds the token, the row only its hash."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[int] = mapped_column(Integer)


class GreenInstrumentRecord(Base):
    """Green certificates (GEC, 1 per MWh) or a green-power contract held for a site."""

    __tablename__ = "green_instruments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id", ondelete="CASCADE"), index=True)
    #: gec | green_power_contract
    instrument: Mapped[str] = mapped_column(String(24))
    mwh: Mapped[float] = mapped_column(Float)
    #: Consumption period the instrument covers, [period_start, period_end) epoch seconds.
    period_start: Mapped[int] = mapped_column(Integer)
    period_end: Mapped[int] = mapped_column(Integer)
    vintage_year: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[int] = mapped_column(Integer)


class WebhookRecord(Base):
    """An outgoing webhook for new and escalated alerts."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    #: json | wecom | dingtalk
    format: Mapped[str] = mapped_column(String(16), default="json")
    #: e.g. ["alert.opened", "alert.escalated"]
    events: Mapped[list[str]] = mapped_column(JSON)
    #: Sites whose alerts are sent; None means every site.
    site_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    #: Shared secret for the HMAC signature header; needed in clear to sign.
    secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[int] = mapped_column(Integer)


class WebhookDeliveryRecord(Base):
    """An outbox row: one event to deliver to one webhook, retried until sent or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    #: pending | sent | failed
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[int] = mapped_column(Integer)


class ApiKeyRecord(Base):
    """An API key, stored as a SHA-256 hash of the random secret."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    #: First characters of the key, shown to people to tell keys apart; not secret.
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: admin | manager | viewer
    role: Mapped[str] = mapped_column(String(16))
    #: Site ids this key may see; None means every site (admins).
    site_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[int] = mapped_column(Integer)
    revoked: Mapped[bool] = mapped_column(default=False)


class DeadLetterRecord(Base):
    """A message (or part of a batch) that ingest could not accept, with the reason."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[int] = mapped_column(Integer, index=True)
    #: Machine-readable reason category (e.g. "malformed_json", "unknown_meter").
    kind: Mapped[str] = mapped_column(String(48), default="", index=True)
    topic: Mapped[str] = mapped_column(String(512))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class DetectionShardRecord(Base):
    """A lease on one shard of the sites for detection replicas (``core.db.leases``)."""

    __tablename__ = "detection_shards"

    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: The shard count this row was made for: replicas configured with another count refuse to start.
    shards: Mapped[int] = mapped_column(Integer)
    #: The replica holding the lease, None when free; the lease is void after ``expires_at``.
    holder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    #: Database clock (epoch seconds).
    expires_at: Mapped[float] = mapped_column(Float, default=0.0)
    #: The last pass in which every site of the shard was scanned; 0 before the first.
    done_pass: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Who finished the shard last: it claims the shard first next pass (its caches are warm).
    last_holder: Mapped[str | None] = mapped_column(String(128), nullable=True)


class DetectionPassRecord(Base):
    """One sweep of the whole portfolio by the detection replicas; the next begins when this one
    is done and ``detect.interval_s`` has passed since it began."""

    __tablename__ = "detection_passes"

    pass_no: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: Database clock (epoch seconds).
    started_at: Mapped[float] = mapped_column(Float)
    #: When its last shard was done; None while it runs.
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class DetectionScanRecord(Base):
    """One site scanned in one detection pass, written in the transaction of the site's alerts."""

    __tablename__ = "detection_scans"

    pass_no: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    scanned_at: Mapped[float] = mapped_column(Float)


class WeatherRecord(Base):
    """Measured outdoor temperature of a site for one hour (hour start, epoch seconds, UTC).

    One row per site and hour: a later value for the same hour replaces the earlier one
    (a gateway re-sending, a corrected CSV), so imports are idempotent."""

    __tablename__ = "site_weather"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id", ondelete="CASCADE"), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    temp_c: Mapped[float] = mapped_column(Float)
    #: mqtt | csv: where the value came from (the API shows it).
    source: Mapped[str] = mapped_column(String(8), default="mqtt")


class ChangeCounterRecord(Base):
    """A counter bumped by every change of one kind: ``registry`` (sites, meters, green
    instruments), ``alerts``, and ``readings`` (the sequence ``SiteMonthVersionRecord`` draws from).

    The API keeps answers while the counters they were computed at stand (``core.db.versions``)."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class SiteMonthVersionRecord(Base):
    """When readings of a site last landed in a home month: the ``readings`` counter then.

    One global sequence, so the largest version over any set of rows changes whenever one
    of them does."""

    __tablename__ = "site_month_versions"
    __table_args__ = (Index("ix_site_month_versions_month", "month"),)

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Home midnight starting the month (``core.calendar.month_of``).
    month: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
