"""The gateway's own metrics: every webhook POST, by outcome, and how long it took to answer."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasklane_gateway.health import WEBHOOK_PATH

# Meta waits up to ~10 s before it retries a webhook; the answer normally takes milliseconds.
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def outcome_of(status: int) -> str:
    if status < 400:
        return "accepted"
    return "refused" if status < 500 else "failed"


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "tasklane_webhook_requests",
            "Webhook POSTs from Meta by outcome (accepted 2xx, refused 4xx, failed 5xx) and status.",
            ["outcome", "status"],
            registry=registry,
        )
        self.seconds = Histogram(
            "tasklane_webhook_duration_seconds",
            "Time to answer a webhook POST (the events are published with confirms before the 200).",
            ["outcome"],
            buckets=WEBHOOK_BUCKETS,
            registry=registry,
        )

    def record(self, status: int, seconds: float) -> None:
        outcome = outcome_of(status)
        self.requests.labels(outcome, str(status)).inc()
        self.seconds.labels(outcome).observe(seconds)


class WebhookMetricsMiddleware:
    """Measures every webhook POST, whatever answered it (a 413 from a limit, a crash's 500)."""

    def __init__(self, app: ASGIApp, metrics: WebhookMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(WEBHOOK_PATH):
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.record(status, time.perf_counter() - started)
