"""Request and response bodies of the operations API."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tasklane_common.messaging.topology import ALL_QUEUES
from tasklane_common.params import INT64_MAX, NO_CONTROL


class Service(StrEnum):
    gateway = "gateway"
    agent = "agent"
    sender = "sender"
    analytics = "analytics"


QueueName = StrEnum("QueueName", {q.name: q.name for q in ALL_QUEUES})  # type: ignore[misc]
LetterIds = list[Annotated[int, Field(ge=1, le=INT64_MAX)]]


class ReplicaConsumer(BaseModel):
    replica: str
    paused: bool
    in_flight: int
    processed: int = Field(description="Handled since the replica started.")
    failed: int = Field(description="Dead-lettered or given back after failing, since it started.")
    processed_per_s: float | None = Field(description="Between its two latest heartbeats.")
    failed_per_s: float | None
    last_seen: str


class Worker(BaseModel):
    service: str
    queue: str
    replicas: int = Field(description="Live replicas of the service with a consumer of the queue.")
    consuming: int = Field(description="Of those, how many are not paused.")
    paused: bool = Field(description="Every live replica's consumer of the queue is paused.")
    depth: int | None = Field(description="Messages ready in the queue (the broker's count).")
    broker_consumers: int | None = Field(description="Consumers attached, as the broker counts them.")
    dead_letters: int | None = Field(description="Messages waiting in the queue's dead-letter queue.")
    in_flight: int
    processed: int
    failed: int
    processed_per_s: float
    failed_per_s: float
    per_replica: list[ReplicaConsumer]


class WorkersOut(BaseModel):
    items: list[Worker]
    broker: Literal["up", "down"] = Field(description="Whether the queue depths could be read.")
    generated_at: str


class WorkerAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Service
    queue: QueueName | None = Field(default=None, description="None: every queue of the service.")
    action: Literal["pause", "resume"]


class CommandOut(BaseModel):
    command_id: str
    service: str
    action: str
    queue: str | None = None
    target: str | None = None
    replicas: list[str] = Field(description="The live replicas the command was sent to.")


class PublicHealth(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    timestamp: str


class HealthOut(BaseModel):
    """The seed's ``HealthStatus``, with the services and problems behind the status."""

    status: Literal["healthy", "degraded", "unhealthy"]
    timestamp: str
    uptime: float = Field(description="Seconds since the oldest live replica started.")
    checks: dict[str, Any]
    services: dict[str, Any]
    problems: list[str]


class LetterOut(BaseModel):
    service: str
    letter_id: int
    queue: str
    event_id: str
    event_type: str | None
    reason: str
    trace_id: str | None
    dead_at: str
    replayed_at: str | None
    replay_count: int
    replayable: bool = Field(description="Never replayed, or its replay died again.")


class LetterDetail(LetterOut):
    headers: dict[str, Any]
    body_at: str = Field(description="Where an operator reads the body: the owning service's API.")


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Service
    queue: QueueName | None = None
    ids: LetterIds | None = Field(default=None, max_length=500)
    limit: int = Field(default=100, ge=1, le=500)
    dry_run: bool = False


class ReplayOut(BaseModel):
    dry_run: bool
    matched: int = Field(description="Replayable dead letters matching, as analytics knows them.")
    would_replay: list[LetterOut] | None = None
    command: CommandOut | None = None


class DeleteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Service
    ids: LetterIds = Field(min_length=1, max_length=500)


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Service


class AuditOut(BaseModel):
    id: int
    service: str
    at: str
    actor: str | None
    role: str | None
    action: str
    target_type: str | None
    target_id: str | None
    outcome: str
    source: str | None
    details: dict[str, Any] | None


class NumberOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    phone_number_id: str
    paused: bool
    held_until: str | None = None
    breaker: str = Field(description="The worst breaker state any sender replica holds for it.")


class NumbersOut(BaseModel):
    numbers: list[NumberOut]
    breakers: dict[str, str] = Field(description="Open or half-open breakers, by phone number id.")
    sender_replicas: int


NumberId = Annotated[str, Field(min_length=1, max_length=64, pattern=NO_CONTROL)]
