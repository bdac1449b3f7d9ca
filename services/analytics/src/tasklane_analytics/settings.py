from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tasklane_analytics.console.settings import ConsoleSettings
from tasklane_common.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="TASKLANE_ANALYTICS_", env_nested_delimiter="__", extra="ignore"
    )

    port: int = 8004
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
