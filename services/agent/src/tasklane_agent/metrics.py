"""The agent's own metrics: whether users are understood, and whether reminders go out on time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import Counter, Gauge
from sqlalchemy import func, select

from tasklane_agent.storage.tables import reminders
from tasklane_common.runtime import ServiceRuntime

# The intent an engine answers with when it did not understand the message (its fallback reply).
FALLBACK_INTENT = "unknown"
# Ignored messages (reactions, edits...) are not turns the assistant answered.
IGNORED_INTENT = "ignored"


class AgentMetrics:
    def __init__(self, runtime: ServiceRuntime, *, late_after: timedelta) -> None:
        registry = runtime.metrics.registry
        self._late_after = late_after
        self.turns = Counter(
            "tasklane_assistant_turns",
            "Messages the assistant answered, by engine and whether it understood them "
            "(understood=false: its fallback reply; the fallback rate is false / all).",
            ["engine", "understood"],
            registry=registry,
        )
        self.reminders_sent = Counter(
            "tasklane_reminders_sent",
            "Reminders sent, on time or late (more than a minute after their time).",
            ["timing"],
            registry=registry,
        )
        self.reminders_due = Gauge(
            "tasklane_reminders_due",
            "Pending reminders whose time has come (sampled at scrape).",
            registry=registry,
        )
        self.reminders_late = Gauge(
            "tasklane_reminders_late",
            "Pending reminders more than a minute past their time: the worker is behind or down.",
            registry=registry,
        )
        runtime.metrics.sampler("reminders", lambda: self._sample(runtime))

    def turn(self, intent: str, engine: str) -> None:
        if intent != IGNORED_INTENT:
            self.turns.labels(engine, "false" if intent == FALLBACK_INTENT else "true").inc()

    def reminder_sent(self, *, late: bool) -> None:
        self.reminders_sent.labels("late" if late else "on_time").inc()

    async def reminders(self, runtime: ServiceRuntime) -> dict[str, int]:
        """Due and late pending reminders, for the heartbeat (analytics' reminders-late alert)."""
        due, late = await self._count(runtime)
        return {"due": due, "late": late}

    async def _sample(self, runtime: ServiceRuntime) -> None:
        due, late = await self._count(runtime)
        self.reminders_due.set(due)
        self.reminders_late.set(late)

    async def _count(self, runtime: ServiceRuntime) -> tuple[int, int]:
        now = datetime.now(UTC)
        r = reminders.c
        async with runtime.db.read() as session:
            due, late = (
                await session.execute(
                    select(
                        func.count(),
                        func.count().filter(r.fire_at <= now - self._late_after),
                    ).where(r.status == "pending", r.fire_at <= now)
                )
            ).one()
        return int(due), int(late)
