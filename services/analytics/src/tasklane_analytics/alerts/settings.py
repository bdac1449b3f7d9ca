"""The alerts' settings, nested in the analytics service's (``TASKLANE_ANALYTICS_ALERTS__*``).

The thresholds default to the PrometheusRule's; ``hold_s`` overrides a rule's ``for`` by name
(``"*"`` for every rule), e.g. ``TASKLANE_ANALYTICS_ALERTS__HOLD_S='{"TasklaneBreakerOpen": 60}'``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, field_validator

from tasklane_analytics.alerts.catalogue import RULES, Rule, Severity


class AlertSettings(BaseModel):
    enabled: bool = True
    # How often this replica evaluates (every replica does; the state in the database is shared).
    interval_s: float = Field(default=15.0, gt=0)
    # Nothing is evaluated until every replica has had the time to heartbeat once: a replica
    # that just started knows no one yet and would resolve every alert. None: three heartbeat
    # intervals.
    warmup_s: float | None = Field(default=None, ge=0)
    # A condition must stay absent this long before its alert resolves: analytics replicas hear
    # heartbeats a little apart, and a flapping alert is noise.
    resolve_after_s: float = Field(default=60.0, ge=0)
    # Resolved alerts stay listed (API, console) this long.
    keep_resolved_h: float = Field(default=24.0, gt=0)
    hold_s: dict[str, float] = Field(default_factory=dict)

    # Thresholds (the PrometheusRule's).
    outbox_stale_s: float = Field(default=60.0, gt=0)
    outbox_stuck_s: float = Field(default=600.0, gt=0)
    webhook_window_s: float = Field(default=300.0, gt=0)
    webhook_failed_ratio: float = Field(default=0.05, gt=0, le=1)
    webhook_min_requests: int = Field(default=10, ge=1)
    dead_letters_window_s: float = Field(default=1800.0, gt=0)
    fallback_ratio: float = Field(default=0.3, gt=0, le=1)
    fallback_min_turns: int = Field(default=20, ge=1)
    # The reply-latency SLO: this share of replies accepted within 10 s (the rollups' bucket bound).
    reply_slo: float = Field(default=0.99, gt=0, lt=1)
    reply_min_fast: int = Field(default=30, ge=1)
    reply_min_slow: int = Field(default=100, ge=1)

    # The notifier: a Slack-compatible incoming webhook. The URL carries its token: it is a
    # secret, never logged. Unset: alerts are only shown.
    webhook_url: SecretStr | None = None
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)
    webhook_attempts: int = Field(default=3, ge=1, le=10)
    # An alert is notified when it starts firing and when it resolves, then again while it
    # still fires, at most once per this interval (Alertmanager's repeat_interval).
    repeat_interval_s: float = Field(default=4 * 3600.0, gt=0)
    # info alerts are shown, never notified (the PrometheusRule's convention).
    notify_severities: list[Severity] = Field(default_factory=lambda: [Severity.critical, Severity.warning])

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, url: object) -> object:
        # Compose passes an unset variable as an empty string: that is "no webhook", not a URL.
        if isinstance(url, str) and not url.strip():
            return None
        return url

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and not url.get_secret_value().startswith(("https://", "http://")):
            # Said without the value: it is a secret.
            raise ValueError("the alerts webhook URL must start with https:// (or http://)")
        return url

    @field_validator("hold_s")
    @classmethod
    def _known_rules(cls, holds: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(holds) - set(RULES) - {"*"})
        if unknown:
            raise ValueError(f"unknown alert(s) in hold_s: {', '.join(unknown)}")
        if any(v < 0 for v in holds.values()):
            raise ValueError("hold_s values are seconds, 0 or more")
        return holds

    def hold_of(self, rule: Rule) -> float:
        return self.hold_s.get(rule.name, self.hold_s.get("*", rule.hold_s))
