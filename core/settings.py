"""One settings object for the whole service, built once at start-up.

Precedence, highest first: explicit overrides (CLI flags), ``KILOWATCH_*``
environment variables (nested with ``__``, e.g. ``KILOWATCH_MQTT__HOST``), the
TOML config file named by ``KILOWATCH_CONFIG`` (or ``--config``), defaults.
Each component receives only the sub-part it needs.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource


class _Section(BaseModel):
    """A settings section; unknown keys are errors so that typos do not pass silently.

    Errors never echo the value given: it may be a password, token or key."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class MqttSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: SecretStr | None = None
    #: "5" for MQTT 5 (shared subscriptions, session expiry); "3.1.1" for older brokers.
    protocol: Literal["5", "3.1.1"] = "5"
    qos: Literal[0, 1] = 1
    topic_prefix: str = "kilowatch/v1"
    #: The ingest worker's client id (its persistent session); publishers must use their own.
    #: Unset, ``Settings`` derives one per host and data directory (``default_client_id``).
    client_id: str = "kilowatch-ingest"
    #: Seconds the broker keeps our session (and queued QoS 1 messages) while we are away.
    session_expiry: int = 3600
    #: Empty for a plain subscription; a name joins "$share/<group>/..." across workers.
    shared_group: str = ""
    #: MQTT over TLS (usually port 8883). The broker's certificate is always verified.
    tls: bool = False
    #: PEM file of the CA(s) that sign the broker's certificate; empty: the system's CAs.
    tls_ca_file: str = ""
    #: PEM client certificate and its key, for brokers that require one; both or neither.
    tls_cert_file: str = ""
    tls_key_file: str = ""
    #: Check that the certificate names ``host``. Off accepts any certificate the CA signed,
    #: another broker's included: only for a private CA that signs nothing else.
    tls_check_hostname: bool = True

    @model_validator(mode="after")
    def _tls_files_need_tls(self) -> MqttSettings:
        # A CA or certificate given without tls = true would silently connect in clear.
        given = [name for name in ("tls_ca_file", "tls_cert_file", "tls_key_file") if getattr(self, name)]
        if given and not self.tls:
            raise ValueError(f"{', '.join(given)} set but tls is false; set tls = true (KILOWATCH_MQTT__TLS=true)")
        if bool(self.tls_cert_file) != bool(self.tls_key_file):
            raise ValueError("tls_cert_file and tls_key_file go together: set both or neither")
        return self


class StoreSettings(_Section):
    backend: Literal["embedded", "influx1", "influx2"] = "embedded"
    #: File of the embedded store (relative paths are under ``data_dir``).
    path: str = "series.sqlite"
    url: str = "http://127.0.0.1:8086"
    database: str = "kilowatch"
    username: str | None = None
    password: SecretStr | None = None
    token: SecretStr | None = None
    org: str = "kilowatch"
    bucket: str = "kilowatch"
    timeout_s: float = 10.0


class DatabaseSettings(_Section):
    #: SQLAlchemy URL; empty means SQLite at ``<data_dir>/kilowatch.db``.
    url: str = ""


class IngestSettings(_Section):
    #: Readings per store write; larger batches amortise HTTP round trips.
    batch_size: int = 5000
    #: Longest a received reading waits before it is flushed (seconds).
    flush_interval_s: float = 0.5
    #: Megabytes of received messages (as they arrived) buffered before the receiver waits.
    #: With the batch being written, about twice this is held, plus decoded objects: at
    #: most a few hundred MB for 256 kB messages. Lower bounds memory tighter but makes
    #: the broker wait on big messages sooner; normal traffic (5,000 readings, ~0.5 MB) is far below.
    buffer_max_mb: int = 32
    #: Readings stamped further than this into the future are rejected.
    max_future_s: int = 3600
    #: Readings older than this are rejected (a year of backfill fits).
    max_age_s: int = 400 * 86400
    #: Directory for the local spool used while the store is unreachable.
    spool_dir: str = "spool"
    #: Seconds of store outage retried before batches go to the spool; longer keeps
    #: messages on the broker, shorter spools (and acks) sooner.
    retry_budget_s: float = 30.0
    #: Spool size limit; when full, the worker stops acknowledging (backpressure, no loss).
    spool_max_mb: int = 1024
    #: Directory of the file keeping dead letters while the database is away (under ``data_dir``).
    dead_letter_dir: str = "deadletters"
    #: A meter silent for this many of its usual intervals raises a stale_meter finding.
    stale_after_intervals: int = 4
    #: Seconds between checks for stale meters.
    stale_check_s: float = 30.0
    #: Address the metrics and /healthz endpoint listens on. Loopback keeps the counters off the
    #: network; "0.0.0.0" lets a Prometheus on another host (or outside a container) scrape them.
    metrics_host: str = "127.0.0.1"
    #: Writer processes (``kilowatch ingest --writers``): 1 writes in the network process as
    #: always; more spread the sites over that many processes (one core each), at the cost of
    #: a hand-over per message and one store connection and registry cache per process.
    writers: int = Field(default=1, ge=1, le=64)


class DetectSettings(_Section):
    #: Seconds between detection passes in ``kilowatch detect``.
    interval_s: float = 60.0
    #: How much history a baseline is trained on (days).
    training_days: int = 28
    #: Window scanned for waste on each pass (hours).
    lookback_hours: int = 48
    #: Data time after which a meter's baseline is refitted (hours).
    retrain_after_hours: float = 24.0
    #: Hours after an alert is resolved in which its waste returning reopens it.
    verify_hours: int = 48
    #: Lower a meter's threshold where the site's IsolationForest calls the hour outlying.
    multivariate: bool = True
    #: Seconds of baseline and forest fitting one pass may spend (per worker); the rest
    #: waits for later passes. None: no limit (evaluation runs).
    fit_budget_s: float | None = 3.0
    #: Site shards leased to replicas in the database (docs/scaling.md); 0: no leases, this
    #: process scans every site (or its --site list). Every replica must use the same count;
    #: a few per replica balances load without reloading the registry for many small shards.
    shards: int = Field(default=0, ge=0)
    #: A replica's shard lease lasts this long past its last scanned site: a dead replica's
    #: shard is taken over after about this plus a poll. Longer than the slowest site's scan
    #: (store read, fits, scoring), below interval_s / 2 so a takeover fits in the pass.
    lease_s: float = Field(default=30.0, gt=0)
    #: Use a site's measured outdoor temperature (``site_weather``) in its features where it
    #: has some; False keeps the climate-normal proxy everywhere (docs/model-quality.md,
    #: session 6: on simulator seed 7 measured weather finds more HVAC waste but raises
    #: HVAC after-hours false alerts, so the switch stays until the model uses it better).
    measured_weather: bool = True


_GENERATED_KEY = re.compile(r"kw_[A-Za-z0-9_-]{40,}")


class ApiSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 8000
    #: Created as an admin key on first start when set; never logged. A generated key only:
    #: ``kw_`` and at least 40 URL-safe characters (its first characters are shown in key
    #: lists, and only a long random key makes an unsalted hash safe to store).
    admin_key: SecretStr | None = None
    #: Dashboard sessions last one working day; longer leaves stolen cookies useful for longer.
    session_ttl_s: int = 12 * 3600
    #: Always mark the session cookie Secure (set it when a TLS proxy is in front).
    cookie_secure: bool = False
    #: How often the live alert stream polls the database; lower is fresher, costs a query per viewer.
    stream_poll_s: float = 2.0
    #: A stream ends after this long and the browser reconnects, so proxies never hold it for hours.
    stream_max_s: float = 300.0
    #: How often the webhook outbox looks for new events and due deliveries.
    webhook_poll_s: float = 2.0
    #: First webhook retry delay; doubles per attempt up to an hour.
    webhook_backoff_s: float = 10.0
    #: Attempts before a delivery is given up (about 21 h with the defaults).
    webhook_max_attempts: int = 8
    #: Alerts older than this are not announced after an outage, so chats are not flooded.
    webhook_lookback_s: int = 6 * 3600
    #: Let webhooks reach loopback, private and reserved addresses (internal receivers).
    webhook_allow_private: bool = False
    #: The dashboard's public address, for links in robot messages; empty when unknown.
    public_url: str = ""
    #: Seconds between rounds of keeping InfluxDB 1.x carbon rollups (one worker does it); 0: never.
    rollup_keep_s: float = 300.0
    #: Answers of the alert list and carbon ledgers kept per worker until their data changes
    #: (``api.response_cache``); 0 keeps none. More keeps more callers' and ranges' answers, in memory.
    response_cache_entries: int = Field(default=512, ge=0)
    #: No kept answer is served longer than this after it was computed: the staleness bound
    #: should a data version bump be lost (the database away while ingest wrote).
    response_cache_max_age_s: float = Field(default=600.0, gt=0)

    @field_validator("admin_key")
    @classmethod
    def _generated_key(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never contains the value.
        if value is not None and value.get_secret_value() and not _GENERATED_KEY.fullmatch(value.get_secret_value()):
            raise ValueError(
                "must be kw_ followed by at least 40 letters, digits, '-' or '_'; make one with "
                "python3 -c \"import secrets; print('kw_' + secrets.token_urlsafe(32))\""
            )
        return value


class CarbonSettings(_Section):
    #: Electricity tariff in CNY/kWh used when a site has none of its own.
    default_tariff_cny_per_kwh: float = 0.85


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KILOWATCH_",
        env_nested_delimiter="__",
        extra="forbid",
        hide_input_in_errors=True,
    )

    data_dir: Path = Path("data")
    log_level: str = "INFO"
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    detect: DetectSettings = Field(default_factory=DetectSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    carbon: CarbonSettings = Field(default_factory=CarbonSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = cls._config_file()
        if config is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config))
        return tuple(sources)

    @classmethod
    def _config_file(cls) -> Path | None:
        """The TOML source: ``KILOWATCH_CONFIG``, unless ``load_settings`` was given a file."""
        config = os.environ.get("KILOWATCH_CONFIG")
        return Path(config) if config else None

    @model_validator(mode="after")
    def _client_id_per_host_and_data_dir(self) -> Settings:
        # One fixed default made two ingests on one broker take over each other's persistent
        # session (and queued messages); an id set in any source is kept as given.
        if "client_id" not in self.mqtt.model_fields_set:
            self.mqtt = self.mqtt.model_copy(update={"client_id": default_client_id(self.data_dir)})
        return self

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'kilowatch.db'}"

    @property
    def spool_path(self) -> Path:
        path = Path(self.ingest.spool_dir)
        return path if path.is_absolute() else self.data_dir / path

    @property
    def dead_letter_path(self) -> Path:
        path = Path(self.ingest.dead_letter_dir)
        return path if path.is_absolute() else self.data_dir / path


def default_client_id(data_dir: Path, hostname: str | None = None) -> str:
    """``kilowatch-ingest-<host>-<8 hex of the absolute data_dir>``: unique per machine and data
    directory (each ingest has its own spool there), the same across restarts."""
    host = re.sub(r"[^A-Za-z0-9-]+", "-", hostname if hostname is not None else socket.gethostname()).strip("-")[:32]
    digest = hashlib.sha256(str(Path(data_dir).expanduser().resolve()).encode()).hexdigest()[:8]
    return f"kilowatch-ingest-{host or 'host'}-{digest}"


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build the settings once; ``overrides`` (from CLI flags) win over everything.

    ``config_file`` (``--config``) takes the place of ``KILOWATCH_CONFIG`` for this call only:
    it is handed to the settings' sources, never written into the process environment.
    """
    if config_file is None:
        return Settings(**overrides)
    path = Path(config_file)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {config_file}")
    built = _read_with(path)(**overrides)
    # A plain Settings with the values read (a class made per file does not pickle by name).
    return Settings.model_construct(built.model_fields_set, **{name: getattr(built, name) for name in Settings.model_fields})


def _read_with(path: Path) -> type[Settings]:
    """Settings whose TOML source is ``path``, between the environment and the defaults as usual."""

    class FromFile(Settings):
        @classmethod
        def _config_file(cls) -> Path | None:
            return path

    return FromFile


def known_env_vars() -> set[str]:
    """Every ``KILOWATCH_*`` variable name a setting answers to (for compose checks)."""
    names = {"KILOWATCH_CONFIG"}
    for name, field in Settings.model_fields.items():
        names.add(f"KILOWATCH_{name.upper()}")
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for sub in annotation.model_fields:
                names.add(f"KILOWATCH_{name.upper()}__{sub.upper()}")
    return names
