"""Metrics of the shared messaging layer, the same in every service: what it publishes, what its
consumers do with each delivery, its inbox duplicates, dead letters and outbox backlog."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Handlers take milliseconds to a few seconds (an LLM call); a held delivery can take minutes.
HANDLER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# What a consumer did with one delivery.
OUTCOMES = ("handled", "duplicate", "failed", "dead_lettered", "unrouted")


class MessagingMetrics:
    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.service = service
        self.published = Counter(
            "tasklane_events_published",
            "Events published to the broker, by event type and outcome (ok, failed).",
            ["service", "type", "outcome"],
            registry=registry,
        )
        self.consumed = Counter(
            "tasklane_events_consumed",
            "Deliveries taken from a queue, by event type and what the consumer did with them.",
            ["service", "queue", "type", "outcome"],
            registry=registry,
        )
        self.handler_seconds = Histogram(
            "tasklane_event_handler_duration_seconds",
            "Time to handle one delivery (one batch for batch consumers, type=batch), commit included.",
            ["service", "queue", "type"],
            buckets=HANDLER_BUCKETS,
            registry=registry,
        )
        self.duplicates = Counter(
            "tasklane_inbox_duplicates",
            "Deliveries the inbox recognised as already handled (redeliveries, double publishes).",
            ["service", "queue"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "tasklane_dead_letters",
            "Dead letters stored by this service (first deaths and deaths of replays).",
            ["service", "queue"],
            registry=registry,
        )
        self.dead_letters_pending = Gauge(
            "tasklane_dead_letters_pending",
            "Stored dead letters not replayed yet (sampled at scrape).",
            ["service", "queue"],
            registry=registry,
        )
        self.outbox_backlog = Gauge(
            "tasklane_outbox_backlog",
            "Events written to the outbox and not published yet (sampled at scrape).",
            ["service"],
            registry=registry,
        )
        self.outbox_age = Gauge(
            "tasklane_outbox_oldest_age_seconds",
            "Age of the oldest unpublished outbox event, 0 when empty (sampled at scrape).",
            ["service"],
            registry=registry,
        )

    def consumer_observer(self, queue: str) -> Callable[[str, str, float | None], None]:
        """What a consumer of ``queue`` calls per delivery: (event type, outcome, seconds)."""

        def observe(type_: str, outcome: str, seconds: float | None) -> None:
            self.consumed.labels(self.service, queue, type_, outcome).inc()
            if outcome == "duplicate":
                self.duplicates.labels(self.service, queue).inc()
            if seconds is not None:
                self.handler_seconds.labels(self.service, queue, type_).observe(seconds)

        return observe

    def on_published(self, types: Iterable[str], outcome: str) -> None:
        for type_ in types:
            self.published.labels(self.service, type_, outcome).inc()

    def on_dead_letter(self, queue: str) -> None:
        self.dead_letters.labels(self.service, queue).inc()
