"""Events every service produces about itself: the control plane (docs/operations.md).

Two kinds travel differently. ``ReplicaHeartbeat`` and ``ControlCommand`` are state, not history:
they go over the control exchange (``tasklane.control``), unpersisted, and a missed one is
superseded by the next (heartbeats are periodic, and the paused state a command sets is also kept
in the owning service's schema, which every replica re-reads). ``AuditRecorded`` and
``DeadLetterChanged`` are history: they go through the producer's outbox onto the events exchange,
so none is lost, and analytics keeps them.

None of them carries message text or a full phone number: a dead letter's body stays in the
owning service; reasons are scrubbed before they leave it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tasklane_common.messaging.envelope import Event


class ConsumerState(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    queue: str
    paused: bool
    in_flight: int
    # Since the replica started: rates are differences between two heartbeats.
    processed: int
    failed: int
    duplicates: int = 0


class OutboxState(BaseModel):
    """A replica's view of its service's outbox (the same table for every replica)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    backlog: int
    # Of the oldest unpublished row, 0 when the outbox is empty.
    oldest_age_s: float


class ReplicaHeartbeat(Event):
    """One replica of one service, as it sees itself now (every ``interval_s``)."""

    event_type = "runtime.heartbeat"

    service: str
    replica: str
    started_at: datetime
    at: datetime
    interval_s: float
    consumers: list[ConsumerState] = Field(default_factory=list)
    # ``ServiceRuntime.readiness()``: {"status": "ok"|"unavailable", "checks": {...}}.
    readiness: dict[str, Any] = Field(default_factory=dict)
    # What the service adds about itself: the sender's breakers and held numbers, for one.
    reports: dict[str, Any] = Field(default_factory=dict)
    # None from a service without an outbox (analytics), or from a replica older than the field,
    # or when the database could not say: readers treat it as unknown, not as empty.
    outbox: OutboxState | None = None


class ControlCommand(Event):
    """An operator's command to every replica of ``service``. Pause and resume are idempotent and
    ordered by ``issued_at`` (a late copy never undoes a newer command); dead-letter commands are
    safe on every replica at once because the store locks each record."""

    event_type = "control.command"

    command_id: str
    service: str
    # pause, resume (of ``queue``); dead_letter.replay, dead_letter.delete, dead_letter.sync;
    # and what a service adds (the sender: number.pause, number.resume of ``target``).
    action: str
    queue: str | None = None
    target: str | None = None
    # dead_letter.*: which records (none: every replayable one of ``queue``, bounded by ``limit``).
    ids: list[int] | None = None
    limit: int = 100
    actor: str
    role: str
    source: str | None = None
    issued_at: datetime


class AuditRecorded(Event):
    """One admin action of one service: who, when, what, from where, and how it ended."""

    event_type = "audit.recorded"

    service: str
    at: datetime
    actor: str | None
    role: str | None = None
    action: str
    target_type: str | None = None
    target_id: str | None = None
    outcome: str
    source: str | None = None
    details: dict[str, Any] | None = None


class DeadLetterChanged(Event):
    """A dead-letter record of ``service`` was captured, replayed or deleted (its state now)."""

    event_type = "dead_letter.changed"

    service: str
    letter_id: int
    queue: str
    event_id: str
    event_type_name: str | None = None
    reason: str
    headers: dict[str, Any] = Field(default_factory=dict)
    trace_id: str | None = None
    dead_at: datetime
    replayed_at: datetime | None = None
    replay_count: int = 0
    deleted: bool = False
