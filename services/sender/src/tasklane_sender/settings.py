from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from tasklane_common.settings import ServiceSettings
from tasklane_sender.identifiers import DEFAULT_TOKEN_INVALID, valid_token


class SenderSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="TASKLANE_SENDER_",
        env_nested_delimiter="__",
        extra="ignore",
        populate_by_name=True,
        # A refused value may be a token: the error names the setting, never its value.
        hide_input_in_errors=True,
    )

    port: int = 8003
    # Shutdown (docs/sender.md): the HTTP server waits this long for operators' requests in
    # flight; then the dispatcher and the consumers drain together within shutdown_grace_s (10 s
    # by default); then closing the outbox relay, broker and database gets shutdown_close_s.
    # The sum, plus the preStop sleep, must stay well under the pod's termination grace.
    http_shutdown_grace_s: float | None = 3.0
    shutdown_close_s: float = Field(default=5.0, gt=0)
    graph_base_url: str = "https://graph.facebook.com"
    graph_api_version: str = "v25.0"
    # Also read from the plain WHATSAPP_ACCESS_TOKEN that Meta's guides use.
    access_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("TASKLANE_SENDER_ACCESS_TOKEN", "WHATSAPP_ACCESS_TOKEN"),
    )
    request_timeout_s: float = 10.0
    # Graph API calls in flight at once per replica (and HTTP connections kept open). At ~10 ms
    # per call, 16 carry well over Meta's 1,000 msg/s ceiling.
    graph_concurrency: int = Field(default=16, ge=1, le=512)
    # Graph API calls per message before it is given up as failed (retryable errors only).
    max_attempts: int = 5
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 300.0
    # After a throughput refusal (130429...) the number waits backoff_initial_s, doubling with each
    # strike up to this, then one probe call decides: Meta's throughput is counted per second, so
    # a longer wait only delays the recovery (one probe per this interval is all Meta sees).
    throttle_max_s: float = Field(default=10.0, gt=0)
    # After a call that timed out waiting for its answer (Meta may have accepted the message), the
    # retry waits at least this long, so that the `sent` status, which carries the reply id,
    # settles the message first instead of a second copy going out.
    ambiguous_retry_s: float = Field(default=10.0, ge=0)
    # Per phone number id: consecutive outage-type failures that open the circuit, and how long
    # it stays open before one trial call: breaker_reset_s, doubled after each failed trial up to
    # breaker_reset_max_s (a long outage costs one call per that), back to breaker_reset_s once a
    # trial succeeds. Short at first, so that sending follows the Graph API's recovery closely.
    breaker_fail_max: int = 5
    breaker_reset_s: float = Field(default=2.0, gt=0)
    breaker_reset_max_s: float = Field(default=10.0, gt=0)
    dispatch_batch: int = 100
    # A claimed message not settled within this time is taken again (crash recovery). Must be
    # well above request_timeout_s.
    lease_s: float = 60.0
    poll_interval_s: float = 0.5
    # Meta's limits, held across replicas (tasklane_sender.pacing). Messages per second per phone
    # number (a number's own throughput_per_s from its NumberConfigured wins; Meta's ceiling is
    # 1000). Both limits are paced this fraction below, so that latency jitter never shows up as
    # a burst at Meta.
    throughput_per_s: float = Field(default=80.0, gt=0, le=1000)
    throughput_margin: float = Field(default=0.01, ge=0, lt=0.5)
    # Pair rate: one message per pair_interval_s to one user, with bursts of pair_burst.
    pair_interval_s: float = Field(default=6.0, ge=0)
    pair_burst: int = Field(default=3, ge=1)
    # How long a number's sending stops after 131048 (spam rate limit) and 131064 (messaging
    # limit after template violations): Meta asks not to hammer; both lift after hours.
    spam_limit_wait_s: float = 4 * 3600.0
    messaging_limit_wait_s: float = 4 * 3600.0
    # Outside the 24-hour customer-service window a free-form message is sent as this approved
    # template, its text in the one body parameter; none configured: such messages fail.
    window_template_name: str | None = None
    window_template_language: str = "en_US"
    # positional: {{1}}; named: {{<window_template_param_name>}}.
    window_template_param_style: Literal["positional", "named"] = "positional"
    window_template_param_name: str = "text"
    # Mark each inbound message read (blue ticks), with the typing indicator while it is fresh.
    read_receipts: bool = True
    # How long the per-number access tokens stay cached in a replica (others learn of a change
    # from the database once this expires).
    number_cache_ttl_s: float = 5.0

    @field_validator("access_token")
    @classmethod
    def _token_fits_a_header(cls, value: SecretStr | None) -> SecretStr | None:
        # Refused at start-up: every send with it would fail, each one the same way.
        if value is not None and not valid_token(value.get_secret_value()):
            raise ValueError(DEFAULT_TOKEN_INVALID)
        return value
