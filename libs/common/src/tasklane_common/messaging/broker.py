"""The transport interface: RabbitMQ in production and tests, in-process in the embedded mode."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tasklane_common.messaging.topology import QueueSpec
from tasklane_common.settings import BrokerSettings


@dataclass(frozen=True)
class OutgoingMessage:
    routing_key: str
    body: bytes
    message_id: str
    correlation_id: str | None = None
    headers: Mapping[str, Any] = field(default_factory=dict)


class Delivery(Protocol):
    body: bytes
    headers: Mapping[str, Any]
    message_id: str | None
    routing_key: str
    redelivered: bool
    # How many times the broker handed this message out before (quorum x-delivery-count).
    delivery_count: int

    async def ack(self) -> None: ...

    async def requeue(self) -> None:
        """Give the message back; it counts towards the queue's delivery limit."""

    async def dead_letter(self, reason: str) -> None:
        """Move the message to the queue's dead-letter queue with ``reason``, then ack it."""


DeliveryCallback = Callable[[Delivery], Coroutine[Any, Any, None]]


class Broker(Protocol):
    async def start(self) -> None:
        """Connect and declare the whole topology."""

    async def publish(self, messages: Sequence[OutgoingMessage], *, timeout: float | None = None) -> None:
        """Publish all messages with confirms in flight together; raise PublishError if any is
        not confirmed within ``timeout`` (default: the settings' publish timeout)."""

    async def publish_to_queue(
        self, queue: str, messages: Sequence[OutgoingMessage], *, timeout: float | None = None
    ) -> None:
        """Publish straight into the queue named ``queue`` (a topology or dead-letter queue name),
        through the default exchange, so that no other queue bound to the messages' routing keys
        gets a copy (a dead-letter replay). Confirmed like ``publish``; the messages'
        ``routing_key`` only travels along as information."""

    async def consume(self, queue: QueueSpec, callback: DeliveryCallback, *, paused: bool = False) -> None:
        """Start delivering ``queue`` to ``callback`` (up to ``prefetch`` at a time); a
        dead-letter queue is consumed as ``QueueSpec(dead_letter_queue(name), ())``. With
        ``paused`` the consumer is only registered, for ``resume`` to start."""

    async def pause(self, queue: str) -> bool:
        """Cancel this connection's consumer of ``queue`` (no prefetch held any more; deliveries
        already handed out finish); False when it consumes no such queue or is paused already."""

    async def resume(self, queue: str) -> bool:
        """Consume ``queue`` again with the callback ``consume`` was given; False when there is no
        such paused consumer."""

    async def broadcast(self, message: OutgoingMessage) -> None:
        """Publish on the control exchange (state, not history: unpersisted, not mandatory) to
        every subscriber whose binding matches the routing key; confirmed."""

    async def subscribe(self, bindings: Sequence[str], callback: DeliveryCallback) -> None:
        """Receive the control messages matching ``bindings`` on a queue of this connection only
        (exclusive, gone with it): every replica gets its own copy. Deliveries need no ack."""

    async def queue_depths(self) -> dict[str, tuple[int, int]]:
        """For every topology queue and its dead-letter queue: (messages ready, consumers)."""

    async def stop_consuming(self) -> None: ...

    async def close(self) -> None: ...

    def is_healthy(self) -> bool: ...

    async def dead_letters(self, queue: QueueSpec, limit: int = 100) -> list[dict[str, Any]]:
        """Peek at the dead-lettered messages of ``queue`` (for admin endpoints and tests)."""


def connect_broker(settings: BrokerSettings) -> Broker:
    if settings.is_memory:
        from tasklane_common.messaging.memory import InMemoryBroker

        return InMemoryBroker.named(settings)
    from tasklane_common.messaging.rabbit import RabbitBroker

    return RabbitBroker(settings)
