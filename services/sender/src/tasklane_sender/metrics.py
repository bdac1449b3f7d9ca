"""The sender's own metrics: Graph API calls, breakers, paused numbers, per-number backlog and the
reply latency the SLO is about."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram

from tasklane_common.runtime import ServiceRuntime
from tasklane_sender import holds

GRAPH_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# The SLO's threshold (docs/metrics.md) must be one of these bounds.
REPLY_BUCKETS = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
BREAKER_STATES = ("closed", "half-open", "open")
# Meta's "the access token is not valid" family: a number paused with it needs a new token.
AUTH_CODES = frozenset({0, 3, 10, 190, 200, 131005})


class SenderMetrics:
    def __init__(self, runtime: ServiceRuntime, breaker_states: Callable[[], dict[str, str]]) -> None:
        registry = runtime.metrics.registry
        self.graph_requests = Counter(
            "tasklane_graph_requests",
            "Graph API /messages calls by result: ok, Meta's error code (e.g. 131056), http_<status> "
            "without one, timeout or transport.",
            ["code"],
            registry=registry,
        )
        self.graph_seconds = Histogram(
            "tasklane_graph_request_duration_seconds",
            "Duration of Graph API /messages calls, whatever their result.",
            buckets=GRAPH_BUCKETS,
            registry=registry,
        )
        self.reply_latency = Histogram(
            "tasklane_reply_latency_seconds",
            "From the user's message reaching the gateway (webhook in) to the Graph API accepting a "
            "reply to it; reminders and notices are not counted.",
            buckets=REPLY_BUCKETS,
            registry=registry,
        )
        self.breaker = Gauge(
            "tasklane_breaker_state",
            "Per phone number id, 1 for the Graph API breaker's current state (closed, half-open, open).",
            ["phone_number_id", "state"],
            registry=registry,
        )
        self.pending = Gauge(
            "tasklane_pacing_backlog",
            "Messages queued or being sent, per phone number id (sampled at scrape).",
            ["phone_number_id"],
            registry=registry,
        )
        self.paused = Gauge(
            "tasklane_number_paused",
            "1 while a number is paused, with the Graph API code that paused it and whether that is an "
            "auth error (a token to renew).",
            ["phone_number_id", "code", "auth"],
            registry=registry,
        )
        self._breaker_states = breaker_states
        runtime.metrics.sampler("numbers", lambda: self._sample(runtime))

    def call(self, code: str, seconds: float) -> None:
        self.graph_requests.labels(code).inc()
        self.graph_seconds.observe(seconds)

    def replied(self, requested_at: datetime) -> None:
        self.reply_latency.observe(max(0.0, (datetime.now(UTC) - requested_at).total_seconds()))

    async def _sample(self, runtime: ServiceRuntime) -> None:
        for pnid, current in self._breaker_states().items():
            for state in BREAKER_STATES:
                self.breaker.labels(pnid, state).set(1 if current == state else 0)
        async with runtime.db.read() as session:
            numbers = await holds.overview(session, datetime.now(UTC))
        # Series of numbers that were resumed (or forgotten) must go, not stay at 1.
        self.paused.clear()
        for number in numbers:
            pnid = number["phone_number_id"]
            self.pending.labels(pnid).set(number["pending"])
            if number["paused"]:
                code = number["pause_code"]
                auth = "true" if code in AUTH_CODES else "false"
                self.paused.labels(pnid, str(code) if code is not None else "none", auth).set(1)
