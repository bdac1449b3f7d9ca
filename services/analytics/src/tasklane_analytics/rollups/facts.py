"""What each event contributes to the figures, and when (pure: no database).

Every figure counts an event in the UTC hour its fact happened (``moment``), not the hour it
arrived: a status webhook Meta retried for an hour still counts in the hour Meta stamped on it.
Some contributions need state kept across events (a turn's response time needs the message in
and the first reply out; a unique user needs the set of users already seen that hour): those
are returned as observations for ``store`` to settle against its tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tasklane_analytics.eventlog.moments import moment, parse_time
from tasklane_analytics.rollups.tables import ALL_NUMBERS, NO_NUMBER
from tasklane_common.messaging import Envelope

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
# Intents of a message the assistant did not understand (older producers sent no ``understood``).
FALLBACK_INTENTS = frozenset({"unknown"})


@dataclass(frozen=True)
class Count:
    metric: str
    at_ms: int
    phone_number_id: str
    dim: str = ""
    delta: int = 1
    # Also counted under all numbers together (not for unique users: those are counted there
    # from the system-wide set itself).
    also_all: bool = True


@dataclass
class Observations:
    counts: list[Count] = field(default_factory=list)
    # (at_ms, phone number, pseudonym)
    users: list[tuple[int, str, str]] = field(default_factory=list)
    # (correlation id, phone number, received_ms | None, sent_ms | None)
    turns: list[tuple[str, str, int | None, int | None]] = field(default_factory=list)
    # (wamid, at_ms, phone number, category)
    priced: list[tuple[str, int, str, str]] = field(default_factory=list)
    # (task id, due_ms | None) for a deadline set or moved; (task id, closed_ms) for a close.
    due: list[tuple[str, int | None]] = field(default_factory=list)
    closed: list[tuple[str, int]] = field(default_factory=list)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def hour_of(at_ms: int) -> datetime:
    return datetime.fromtimestamp((at_ms // HOUR_MS) * HOUR_MS / 1000, UTC)


def overdue_at(due: Any, has_time: Any) -> int | None:
    """When a deadline makes its task overdue: a timed one at its instant, a date-only one (stored
    as 00:00 UTC of its day) once that day is over in UTC."""
    at = parse_time(due)
    if at is None:
        return None
    return _ms(at) if has_time else _ms(at + timedelta(days=1))


def _phone(payload: dict[str, Any]) -> str:
    value = payload.get("phone_number_id")
    return value[:64] if isinstance(value, str) and value and value != ALL_NUMBERS else NO_NUMBER


def sent_class(kind: Any) -> str:
    if kind is None:
        return "unknown"
    return "template" if kind == "template" else "free_form"


def observe(envelope: Envelope, into: Observations) -> None:
    """Add what ``envelope`` (scrubbed, as the log keeps it) contributes to ``into``."""
    p = envelope.payload
    at = moment(envelope)
    phone = _phone(p)
    counts = into.counts
    match envelope.type:
        case "message.received":
            counts.append(Count("received", at, phone))
            if isinstance(p.get("user_id"), str):
                into.users.append((at, phone, p["user_id"]))
            into.turns.append((envelope.correlation_id, phone, at, None))
        case "message.sent":
            counts.append(Count("sent", at, phone, sent_class(p.get("kind"))))
            into.turns.append((envelope.correlation_id, phone, None, at))
        case "message.delivered":
            counts.append(Count("delivered", at, phone))
        case "message.read":
            counts.append(Count("read", at, phone))
        case "message.failed":
            code = p.get("error_code")
            counts.append(Count("failed", at, phone, str(code) if isinstance(code, int) else "none"))
            if not p.get("wamid"):  # refused by the Graph API: never counted as sent
                counts.append(Count("failed_unsent", at, phone))
        case "status.received":
            pricing = p.get("pricing")
            category = pricing.get("category") if isinstance(pricing, dict) else None
            if isinstance(category, str) and category and isinstance(p.get("wamid"), str):
                into.priced.append((p["wamid"][:200], at, phone, category[:64]))
        case "agent.replied":
            counts.append(Count("turns", at, phone))
            understood = p.get("understood")
            if understood is None:
                understood = p.get("intent") not in FALLBACK_INTENTS
            if not understood:
                counts.append(Count("fallbacks", at, phone))
        case "reply.requested":
            if p.get("reminder"):
                counts.append(Count("reminders_sent", at, phone))
        case "task.created":
            counts.append(Count("tasks_created", at, NO_NUMBER))
            if isinstance(p.get("task_id"), str):
                into.due.append((p["task_id"][:100], overdue_at(p.get("due_at"), p.get("due_has_time"))))
        case "task.updated":
            raw = p.get("changes")
            changes: dict[str, Any] = raw if isinstance(raw, dict) else {}
            if isinstance(p.get("task_id"), str) and "due_at" in changes:
                # Unchanged ``due_has_time`` is not repeated: a deadline at exactly 00:00 UTC
                # reads as date-only (how the agent stores those), any other as timed.
                due = parse_time(changes.get("due_at"))
                floating = due is not None and due.astimezone(UTC).time() == datetime.min.time()
                has_time = changes.get("due_has_time", not floating)
                into.due.append((p["task_id"][:100], overdue_at(changes.get("due_at"), has_time)))
        case "task.completed":
            counts.append(Count("tasks_completed", at, NO_NUMBER))
            if isinstance(p.get("task_id"), str):
                into.closed.append((p["task_id"][:100], at))
        case "task.deleted":
            if isinstance(p.get("task_id"), str):
                into.closed.append((p["task_id"][:100], at))
        case "message.throttled":
            counts.append(Count("throttled", at, phone))
        case "message.expired":
            counts.append(Count("expired", at, phone))
        case _:
            pass
