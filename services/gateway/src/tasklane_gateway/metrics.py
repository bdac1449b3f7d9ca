"""The gateway's own metrics: every webhook POST, by outcome, and how long it took to answer
(observed by ``health.WebhookAnswers``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

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
        # The same counts for the heartbeat (analytics' webhook 5xx alert): since the replica
        # started, so analytics takes differences between heartbeats as Prometheus does.
        self.totals: dict[str, int] = {"accepted": 0, "refused": 0, "failed": 0}

    def record(self, status: int, seconds: float) -> None:
        outcome = outcome_of(status)
        self.totals[outcome] += 1
        self.requests.labels(outcome, str(status)).inc()
        self.seconds.labels(outcome).observe(seconds)
