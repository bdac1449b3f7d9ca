from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from tasklane_common.settings import ServiceSettings

# Meta's documented ceiling for one webhook POST is 3 MB; anything larger is not from Meta.
DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="TASKLANE_GATEWAY_",
        env_nested_delimiter="__",
        extra="ignore",
        # Lets code and tests pass ``app_secret=...`` although the field reads aliased env vars.
        populate_by_name=True,
    )

    port: int = 8001
    # The Meta app secret (signs every webhook POST) and the verify token (GET handshake). The
    # plain WHATSAPP_* names are what Meta's docs and most deployments use; ours wins if both set.
    app_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("TASKLANE_GATEWAY_APP_SECRET", "WHATSAPP_APP_SECRET"),
    )
    verify_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("TASKLANE_GATEWAY_VERIFY_TOKEN", "WHATSAPP_VERIFY_TOKEN"),
    )
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # Meta retries a webhook for up to 7 days; dedup keys are kept for twice that.
    dedup_retention_days: float = 14.0

    @field_validator("app_secret", "verify_token", mode="after")
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty secret would let anyone sign a webhook: treat it as missing, so we fail closed.
        if value is None or not value.get_secret_value().strip():
            return None
        return value
