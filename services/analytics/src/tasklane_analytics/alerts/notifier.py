"""Telling a chat channel: a Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat
and most chat tools accept the body) gets one message when an alert starts firing, again while
it fires (at most once per repeat interval), and one when it resolves.

The URL carries the channel's token: it is never logged, nor is the response body (which may
echo it). Delivery is bounded (a timeout per attempt, a few attempts with backoff); a failure is
logged and the alert stays due for the next round, without ever stopping the evaluation.
"""

from __future__ import annotations

from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from tasklane_analytics.alerts.catalogue import RULES, Severity
from tasklane_analytics.alerts.settings import AlertSettings
from tasklane_analytics.alerts.state import Alert
from tasklane_common.logging import get_logger

log = get_logger(__name__)
COLOURS = {Severity.critical: "#b91c1c", Severity.warning: "#d97706", Severity.info: "#2563eb"}


class DeliveryError(Exception):
    """The webhook did not take the message (after every attempt)."""


class _Retryable(Exception):
    pass


def slack_body(alert: Alert, console_url: str | None = None) -> dict[str, Any]:
    rule = RULES[alert.name]
    resolved = alert.state == "resolved"
    status = "RESOLVED" if resolved else "FIRING"
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items())) or "system-wide"
    text = f"[{status}] {alert.name} ({alert.severity.value}): {rule.summary} [{labels}]"
    since = alert.since.strftime("%Y-%m-%d %H:%M:%S UTC")
    when = (
        f"resolved {alert.resolved_at.strftime('%Y-%m-%d %H:%M:%S UTC')}, firing since {since}"
        if resolved and alert.resolved_at is not None
        else f"firing since {since}"
    )
    lines = [f"*{status}* `{alert.name}` · *{alert.severity.value}*", rule.summary]
    if alert.detail and not resolved:
        lines.append(alert.detail)
    lines.append(f"Labels: {labels} · {when}")
    lines.append(f"Runbook: {rule.runbook} <{rule.runbook_url}|docs>")
    fields = [{"title": k, "value": v, "short": True} for k, v in sorted(alert.labels.items())]
    body: dict[str, Any] = {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        ],
        # Older clients (and Mattermost) read attachments: the colour says the severity.
        "attachments": [
            {
                "color": "#16a34a" if resolved else COLOURS[alert.severity],
                "fallback": text,
                "title": alert.name,
                "title_link": rule.runbook_url,
                "text": rule.description,
                "fields": fields,
            }
        ],
    }
    if console_url:
        body["blocks"].append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{console_url}|Open the console>"}]}
        )
    return body


class WebhookNotifier:
    def __init__(self, settings: AlertSettings, client: httpx.AsyncClient | None = None) -> None:
        assert settings.webhook_url is not None
        self._url = settings.webhook_url
        self._attempts = settings.webhook_attempts
        self._client = client or httpx.AsyncClient(timeout=settings.webhook_timeout_s)
        self._owned = client is None

    async def close(self) -> None:
        if self._owned:
            await self._client.aclose()

    async def send(self, alert: Alert) -> None:
        body = slack_body(alert)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self._attempts),
                wait=wait_exponential(multiplier=0.5, max=5),
                retry=retry_if_exception_type(_Retryable),
                reraise=True,
            ):
                with attempt:
                    await self._post(body)
        except (_Retryable, DeliveryError) as exc:
            raise DeliveryError(str(exc)) from None

    async def _post(self, body: dict[str, Any]) -> None:
        try:
            response = await self._client.post(self._url.get_secret_value(), json=body)
        except httpx.HTTPError as exc:
            # The exception's text names the URL: only its type is told.
            raise _Retryable(f"webhook unreachable ({type(exc).__name__})") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retryable(f"webhook answered {response.status_code}")
        if response.status_code >= 300:
            # A refused body or a revoked token does not get better by retrying.
            raise DeliveryError(f"webhook refused the message ({response.status_code})")
