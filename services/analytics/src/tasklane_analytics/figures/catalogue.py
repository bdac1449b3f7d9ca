"""The figures an analyst can ask for, each defined over the rollup counters of a period.

A ``Tally`` is the sum of a period's hourly counters (per metric and dimension) plus its exact
unique users; every figure is read from one, so a day's figure is its hours' counters added up,
never an average of hourly averages. docs/analytics.md says what each one counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from tasklane_analytics.rollups import histogram


class Metric(StrEnum):
    received = "received"
    sent = "sent"
    sent_template = "sent_template"
    sent_free_form = "sent_free_form"
    delivered = "delivered"
    read = "read"
    failed = "failed"
    error_rate = "error_rate"
    unique_users = "unique_users"
    turns = "turns"
    fallbacks = "fallbacks"
    fallback_rate = "fallback_rate"
    responses = "responses"
    response_avg_ms = "response_avg_ms"
    response_p50_ms = "response_p50_ms"
    response_p90_ms = "response_p90_ms"
    response_p99_ms = "response_p99_ms"
    tasks_created = "tasks_created"
    tasks_completed = "tasks_completed"
    tasks_overdue = "tasks_overdue"
    reminders_sent = "reminders_sent"
    throttled = "throttled"
    expired = "expired"


@dataclass
class Tally:
    sums: dict[str, Counter[str]] = field(default_factory=dict)
    users: int = 0

    def add(self, metric: str, dim: str, value: int) -> None:
        self.sums.setdefault(metric, Counter())[dim] += value

    def total(self, metric: str, dim: str | None = None) -> int:
        by_dim = self.sums.get(metric)
        if not by_dim:
            return 0
        return int(by_dim[dim]) if dim is not None else int(sum(by_dim.values()))

    def by_dim(self, metric: str) -> dict[str, int]:
        return {d: int(v) for d, v in sorted(self.sums.get(metric, Counter()).items()) if v}

    def response_buckets(self) -> dict[int, int]:
        return {int(d): int(v) for d, v in self.sums.get("response", Counter()).items() if v > 0}

    def figure(self, metric: Metric) -> float | int | None:
        return FIGURES[metric](self)


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 6) if den > 0 else None


def _avg(t: Tally) -> float | None:
    n = t.total("response")
    return round(t.total("response_sum_ms") / n, 1) if n > 0 else None


def _pct(q: float) -> Callable[[Tally], float | None]:
    def read(t: Tally) -> float | None:
        value = histogram.percentile(t.response_buckets(), q)
        return round(value, 1) if value is not None else None

    return read


def _counter(metric: str, dim: str | None = None) -> Callable[[Tally], int]:
    return lambda t: t.total(metric, dim)


FIGURES: dict[Metric, Callable[[Tally], float | int | None]] = {
    Metric.received: _counter("received"),
    Metric.sent: _counter("sent"),
    Metric.sent_template: _counter("sent", "template"),
    Metric.sent_free_form: _counter("sent", "free_form"),
    Metric.delivered: _counter("delivered"),
    Metric.read: _counter("read"),
    Metric.failed: _counter("failed"),
    # Of the messages the sender tried: failures over accepted ones plus those refused outright.
    Metric.error_rate: lambda t: _ratio(t.total("failed"), t.total("sent") + t.total("failed_unsent")),
    Metric.unique_users: lambda t: t.users,
    Metric.turns: _counter("turns"),
    Metric.fallbacks: _counter("fallbacks"),
    Metric.fallback_rate: lambda t: _ratio(t.total("fallbacks"), t.total("turns")),
    Metric.responses: _counter("response"),
    Metric.response_avg_ms: _avg,
    Metric.response_p50_ms: _pct(0.5),
    Metric.response_p90_ms: _pct(0.9),
    Metric.response_p99_ms: _pct(0.99),
    Metric.tasks_created: _counter("tasks_created"),
    Metric.tasks_completed: _counter("tasks_completed"),
    Metric.tasks_overdue: _counter("tasks_overdue"),
    Metric.reminders_sent: _counter("reminders_sent"),
    Metric.throttled: _counter("throttled"),
    Metric.expired: _counter("expired"),
}

# The rollup counters each figure reads (unique users read the hourly sets instead).
NEEDS: dict[Metric, tuple[str, ...]] = {
    Metric.sent_template: ("sent",),
    Metric.sent_free_form: ("sent",),
    Metric.error_rate: ("failed", "sent", "failed_unsent"),
    Metric.unique_users: (),
    Metric.fallback_rate: ("fallbacks", "turns"),
    Metric.responses: ("response",),
    Metric.response_avg_ms: ("response", "response_sum_ms"),
    Metric.response_p50_ms: ("response",),
    Metric.response_p90_ms: ("response",),
    Metric.response_p99_ms: ("response",),
}


def counters_for(metrics: list[Metric]) -> set[str]:
    return {c for m in metrics for c in NEEDS.get(m, (m.value,))}
