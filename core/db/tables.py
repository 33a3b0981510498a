"""Database records. Rows are ``*Record``; HTTP payloads live in ``api.schemas``."""

from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    #: CNY per kWh; None means the configured default tariff.
    tariff_cny_per_kwh: Mapped[float | None] = mapped_column(Float, nullable=True)


class MeterRecord(Base):
    __tablename__ = "meters"

    meter_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.site_id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    rated_kw: Mapped[float] = mapped_column(Float, default=0.0)
    name: Mapped[str] = mapped_column(String(200), default="")


class AlertRecord(Base):
    """One waste episode on one meter; re-detection updates the same row."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("meter_id", "kind", "started_at", name="uq_alert_episode"),)

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
    topic: Mapped[str] = mapped_column(String(512))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
