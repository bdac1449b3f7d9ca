from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from tasklane_analytics.alerts.settings import AlertSettings
from tasklane_analytics.console.settings import ConsoleSettings
from tasklane_common.settings import BrokerSettings, ServiceSettings

# Analytics takes every event of the system, a few rows each: big batches share a transaction
# (the consumer's batch is at most the prefetch).
BATCH = 500


def _broker() -> BrokerSettings:
    return BrokerSettings(prefetch=BATCH)


class AnalyticsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="TASKLANE_ANALYTICS_", env_nested_delimiter="__", extra="ignore"
    )

    port: int = 8004
    broker: BrokerSettings = Field(default_factory=_broker)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    # The key of users' pseudonyms (HMAC-SHA256), at least 16 bytes: ``TASKLANE_ANALYTICS_
    # PSEUDONYM_KEY``. Required; ``make run`` and the embedded mode set a development one. Changing
    # it splits every user in two (old and new pseudonym) in unique-user counts.
    pseudonym_key: SecretStr | None = None
    # Raw events are deleted this long after they happened; the hourly rollups are kept.
    raw_retention_days: float = Field(default=30.0, gt=0)
    # How often open tasks whose deadline passed are counted as overdue.
    overdue_sweep_interval_s: float = Field(default=60.0, gt=0)

    def pseudonym_key_bytes(self) -> bytes:
        if self.pseudonym_key is None or len(self.pseudonym_key.get_secret_value().encode()) < 16:
            raise ValueError(
                "TASKLANE_ANALYTICS_PSEUDONYM_KEY must be set (16 bytes or more, e.g. "
                "`openssl rand -base64 32`): it keys the pseudonyms analytics stores for users"
            )
        return self.pseudonym_key.get_secret_value().encode()
