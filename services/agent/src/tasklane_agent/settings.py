from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from tasklane_common.settings import ServiceSettings


class ReminderSettings(BaseModel):
    enabled: bool = True
    # An extra reminder this long before a timed deadline; 0 turns it off.
    lead_minutes: int = Field(default=30, ge=0, le=7 * 24 * 60)
    # A date-only deadline is reminded at this hour of its day, in the recipient's timezone.
    day_hour: int = Field(default=9, ge=0, le=23)
    poll_interval_s: float = Field(default=5.0, gt=0)
    batch_size: int = Field(default=100, ge=1, le=1000)


class LlmSettings(BaseModel):
    """An optional OpenAI-compatible endpoint; without ``url`` the offline engine answers alone."""

    url: str | None = None  # e.g. https://api.openai.com/v1 or http://ollama:11434/v1
    api_key: SecretStr | None = None
    model: str = Field(default="gpt-4o-mini", min_length=1)
    timeout_s: float = Field(default=8.0, gt=0)
    max_tool_rounds: int = Field(default=4, ge=1, le=10)
    temperature: float = 0.0
    breaker_fail_max: int = Field(default=3, ge=1)
    breaker_reset_s: float = Field(default=30.0, gt=0)


class AgentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TASKLANE_AGENT_", env_nested_delimiter="__", extra="ignore")

    port: int = 8002
    # IANA zone for users whose phone number tells none (the country spans none we know).
    default_timezone: str = "UTC"
    # WhatsApp caps a text body at 4096 characters; a long list is cut well before that.
    list_limit: int = 20
    # What users wrote (and the replies) is kept this long as conversation memory, then pruned.
    memory_retention_days: int = Field(default=90, ge=1)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)

    @field_validator("llm", mode="before")
    @classmethod
    def _no_empty_url(cls, value: object) -> object:
        # An empty variable (TASKLANE_AGENT_LLM__URL=) means "no LLM", as if it were unset.
        if isinstance(value, dict) and value.get("url") == "":
            value = {**value, "url": None}
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value
