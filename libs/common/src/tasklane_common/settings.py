"""Settings blocks shared by every service.

Each service composes these into its own ``BaseSettings`` subclass with its own env prefix
(``TASKLANE_GATEWAY_``, ``TASKLANE_AGENT_``...). The broker and database URLs fall back to the
project-wide ``TASKLANE_AMQP_URL`` / ``TASKLANE_DATABASE_URL`` so one pair of variables configures a
whole stack, while a service-specific ``TASKLANE_<SERVICE>_DATABASE__URL`` still wins.
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def _env_amqp_url() -> SecretStr:
    return SecretStr(os.environ.get("TASKLANE_AMQP_URL", DEFAULT_AMQP_URL))


def _env_database_url() -> SecretStr:
    return SecretStr(os.environ.get("TASKLANE_DATABASE_URL", DEFAULT_DATABASE_URL))


def _env_namespace() -> str:
    return os.environ.get("TASKLANE_NAMESPACE", "")


class BrokerSettings(BaseModel):
    """Where events travel. ``memory://<name>`` selects the in-process transport."""

    url: SecretStr = Field(default_factory=_env_amqp_url)
    # Prefixes exchange and queue names so that test runs and stacks can share one broker.
    namespace: str = Field(default_factory=_env_namespace)
    prefetch: int = 100
    delivery_limit: int = 10
    # How long the broker may go without confirming anything before a publish fails (the gateway
    # then answers 503); a publish merely queued behind others on a busy host waits on, up to
    # publish_max_wait_s in all.
    publish_timeout_s: float = 5.0
    publish_max_wait_s: float = 20.0
    # Publishes in flight (awaiting their confirm) per process; the broker's measured sweet spot
    # is around a hundred or a few hundred (docs/performance.md, ../reference broker facts).
    publish_window: int = Field(default=256, ge=1)
    heartbeat_s: int = 30

    @property
    def is_memory(self) -> bool:
        return self.url.get_secret_value().startswith("memory://")


class DatabaseSettings(BaseModel):
    url: SecretStr = Field(default_factory=_env_database_url)
    # The PostgreSQL schema this service owns; empty means the service's default name.
    schema_name: str = ""
    pool_size: int = 10
    connect_timeout_s: float = 10.0
    # Upper bound of one SQL statement; a transaction idle for twice this long is ended.
    statement_timeout_s: float = 30.0
    echo: bool = False
    migrate_on_startup: bool = True


class TelemetrySettings(BaseModel):
    enabled: bool = True
    # Unset: OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, the one variable a whole stack shares.
    otlp_endpoint: str | None = None
    sample_ratio: float = 1.0
    # A CLIENT span per SQL statement inside a trace (never outside one).
    database_spans: bool = True


class LoggingSettings(BaseModel):
    level: str = "INFO"
    format: Literal["json", "console"] = "json"


class Role(StrEnum):
    ANALYST = "analyst"
    OPERATOR = "operator"
    ADMIN = "admin"


class ApiKey(BaseModel):
    """A configured API key: who, which role, and the SHA-256 of the key (never the key)."""

    name: str = Field(min_length=1, max_length=100)
    role: Role
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("sha256", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


def _env_api_keys() -> list[ApiKey]:
    raw = os.environ.get("TASKLANE_API_KEYS", "").strip()
    return [ApiKey.model_validate(item) for item in json.loads(raw)] if raw else []


class AuthSettings(BaseModel):
    api_keys: list[ApiKey] = Field(default_factory=_env_api_keys)


class ServiceSettings(BaseSettings):
    """Fields every service has; subclasses set ``env_prefix`` and add their own."""

    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    outbox_poll_interval_s: float = 1.0
    # Inbox rows must outlive any redelivery or replay of their event; then they are pruned.
    inbox_retention_days: float = 30.0
    # Dead letters (replayed or not) are pruned this long after they died.
    dead_letter_retention_days: float = 30.0
    retention_interval_s: float = 3600.0
    shutdown_grace_s: float = 10.0
    # How often each replica re-reads its paused queues and broadcasts its heartbeat.
    control_interval_s: float = 5.0
    # How long the HTTP server waits for requests in flight on shutdown, before the drain above
    # (None: shutdown_grace_s + 5).
    http_shutdown_grace_s: float | None = None
