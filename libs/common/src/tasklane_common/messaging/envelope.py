"""The envelope every event travels in, and the base class of the event contracts."""

from __future__ import annotations

import builtins
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasklane_common.errors import PermanentError

# Fixed namespace for deterministic event ids (uuid5): the same fact always gets the same id,
# which is what lets every consumer's inbox recognise a duplicate produced by a retry upstream.
EVENT_ID_NAMESPACE = uuid.UUID("7f1c1e52-8d0e-4d55-9a4f-5b3f8f6e2a10")


class Event(BaseModel):
    """Base of every contract. Contracts only ever gain optional fields (additive changes)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1


E = TypeVar("E", bound=Event)


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    type: str
    version: int = 1
    occurred_at: datetime
    correlation_id: str
    causation_id: str | None = None
    producer: str
    payload: dict[str, Any] = Field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_bytes(cls, body: bytes) -> Envelope:
        try:
            return cls.model_validate_json(body)
        except ValidationError as exc:
            raise PermanentError(f"not an envelope: {exc.errors()[:3]}") from exc

    def open(self, contract: builtins.type[E]) -> E:
        try:
            return contract.model_validate(self.payload)
        except ValidationError as exc:
            raise PermanentError(f"{self.type} v{self.version} invalid: {exc.errors()[:3]}") from exc


def deterministic_id(*parts: str) -> str:
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, "\x1f".join(parts)))


def new_envelope(
    event: Event,
    *,
    producer: str,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    eid = event_id or str(uuid.uuid4())
    return Envelope(
        id=eid,
        type=event.event_type,
        version=event.event_version,
        occurred_at=occurred_at or datetime.now(UTC),
        correlation_id=correlation_id or eid,
        causation_id=causation_id,
        producer=producer,
        payload=event.model_dump(mode="json"),
    )
