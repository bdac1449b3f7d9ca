from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from tasklane_common.settings import ServiceSettings

# Meta's documented ceiling for one webhook POST is 3 MB; anything larger is not from Meta.
DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024


AccessPolicy = Literal["open", "mapped"]


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
    # Meta batches at most 1,000 updates in one POST; twice that leaves room for a change on Meta's
    # side, and anything beyond is refused (413) before any work, the same way every time.
    max_items_per_webhook: int = Field(default=2000, ge=1)
    # Meta stops retrying a webhook after 7 days: a message older than that which we never saw is
    # kept and counted (message.expired), but not acted on (a week-old "delete it" must not fire).
    stale_after_days: float = Field(default=7.0, gt=0)
    # Meta retries a webhook for up to 7 days; dedup keys are kept for twice that.
    dedup_retention_days: float = 14.0
    # Who may use a number (docs/gateway.md, "Access policy"): ``open``, anyone (each alone until
    # they share a team); ``mapped``, only the numbers an admin mapped. A number registered in the
    # integrations has its own; this applies to any other. ``open`` keeps the zero-config demo working.
    access_policy: AccessPolicy = "open"
    # Sent (at most once per 24 h per sender and number) to an unknown sender when not auto-registering.
    registration_reply_text: str = Field(
        default="Hi! This number is not linked to a Tasklane account yet. Please ask your administrator "
        "to register it; we will answer as soon as it is.",
        min_length=1,
        max_length=4096,
    )
    # Messages per user per minute (fixed windows); the excess is stored, not processed. 0: no limit.
    inbound_rate_limit_per_minute: int = Field(default=30, ge=0)
    slow_down_reply_text: str = Field(
        default="You are sending messages faster than we can handle. Please wait a minute; the messages "
        "over the limit were not processed.",
        min_length=1,
        max_length=4096,
    )
    # How long a replica trusts a cached phone-to-user lookup; every mapping change invalidates the
    # caches of all replicas at their next webhook anyway (mapping_version), this is a backstop.
    contacts_cache_ttl_s: float = Field(default=300.0, ge=0)
    # Lookup keys cached at most (a contact has one or two, ~850 bytes each with the contact): the
    # bound on what a stream of first-time senders can make a replica hold (~4 MB by default).
    contacts_cache_max_entries: int = Field(default=5000, ge=1)
    # The Graph API, for the admin "test connection" call (the sender's names and defaults).
    graph_base_url: str = "https://graph.facebook.com"
    graph_api_version: str = "v25.0"
    request_timeout_s: float = 10.0
    # How long a replica trusts its in-memory copy of the apps' secrets and the numbers' owners:
    # a change made through another replica is honoured within this time (this replica's at once).
    integrations_refresh_s: float = 5.0
    # Share of webhook POSTs answered 5xx over the last 5 minutes above which health is degraded.
    health_error_rate_degraded: float = 0.05

    @field_validator("app_secret", "verify_token", mode="after")
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty secret would let anyone sign a webhook: treat it as missing, so we fail closed.
        if value is None or not value.get_secret_value().strip():
            return None
        return value
