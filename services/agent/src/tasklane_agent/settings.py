from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from tasklane_common.settings import ServiceSettings


class AgentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TASKLANE_AGENT_", env_nested_delimiter="__", extra="ignore")

    port: int = 8002
    # IANA name used to resolve "tomorrow", "Friday"... and to render due dates, until users
    # can set their own timezone.
    default_timezone: str = "UTC"
    # WhatsApp caps a text body at 4096 characters; a long list is cut well before that.
    list_limit: int = 20

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value
