"""In-process transport with the RabbitMQ transport's semantics, for the embedded mode and unit
tests: topic routing, mandatory publishing, prefetch, delivery counting, a delivery limit and
dead-letter queues. The same consumer code runs on both."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tasklane_common.errors import PublishError
from tasklane_common.messaging.broker import DeliveryCallback, OutgoingMessage
from tasklane_common.messaging.topology import ALL_QUEUES, QueueSpec, topic_matches
from tasklane_common.settings import BrokerSettings


@dataclass
class _Message:
    body: bytes
    message_id: str | None
    routing_key: str
    headers: dict[str, Any] = field(default_factory=dict)
    delivery_count: int = 0


class MemoryDelivery:
    def __init__(self, message: _Message, queue: _Queue) -> None:
        self._message = message
        self._queue = queue
        self.body = message.body
        self.headers: Mapping[str, Any] = message.headers
        self.message_id = message.message_id
        self.routing_key = message.routing_key
        self.delivery_count = message.delivery_count
        self.redelivered = message.delivery_count > 0
        self._settled = False

    def _settle(self) -> None:
        if self._settled:
            raise RuntimeError("delivery already settled")
        self._settled = True
        self._queue.in_flight.release()

    async def ack(self) -> None:
        self._settle()

    async def requeue(self) -> None:
        self._settle()
        self._message.delivery_count += 1
        if self._message.delivery_count >= self._queue.delivery_limit:
            self._message.headers["x-first-death-reason"] = "delivery_limit"
            self._queue.dead.append(self._message)
        else:
            self._queue.ready.put_nowait(self._message)

    async def dead_letter(self, reason: str) -> None:
        self._settle()
        self._message.headers["x-tasklane-reason"] = reason
        self._queue.dead.append(self._message)


class _Queue:
    def __init__(self, spec: QueueSpec, prefetch: int, delivery_limit: int) -> None:
        self.spec = spec
        self.ready: asyncio.Queue[_Message] = asyncio.Queue()
        self.dead: list[_Message] = []
        self.in_flight = asyncio.Semaphore(prefetch)
        self.delivery_limit = delivery_limit


class InMemoryBroker:
    # Brokers by name, so the four services of one embedded process share one transport.
    _registry: ClassVar[dict[str, InMemoryBroker]] = {}

    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        self._queues = {s.name: _Queue(s, settings.prefetch, settings.delivery_limit) for s in ALL_QUEUES}
        self._tasks: list[asyncio.Task[None]] = []
        self._inflight: set[asyncio.Task[None]] = set()
        self._healthy = True
        self._users = 0

    @classmethod
    def named(cls, settings: BrokerSettings) -> InMemoryBroker:
        name = settings.url.get_secret_value().removeprefix("memory://") or "default"
        broker = cls._registry.get(name)
        if broker is None:
            broker = cls._registry[name] = cls(settings)
        return broker

    @classmethod
    def forget(cls, name: str) -> None:
        cls._registry.pop(name, None)

    def set_healthy(self, healthy: bool) -> None:
        """Simulate an outage: publishes fail while unhealthy."""
        self._healthy = healthy

    async def start(self) -> None:
        self._users += 1

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        if not self._healthy:
            raise PublishError("in-memory broker marked unavailable")
        routed: list[tuple[_Queue, _Message]] = []
        for m in messages:
            targets = [
                q
                for q in self._queues.values()
                if any(topic_matches(b, m.routing_key) for b in q.spec.bindings)
            ]
            if not targets:
                raise PublishError(f"unroutable: {m.routing_key}")
            routed.extend(
                (q, _Message(m.body, m.message_id, m.routing_key, dict(m.headers))) for q in targets
            )
        for q, msg in routed:
            q.ready.put_nowait(msg)

    async def consume(self, queue: QueueSpec, callback: DeliveryCallback) -> None:
        self._tasks.append(asyncio.create_task(self._pump(self._queues[queue.name], callback)))

    async def _pump(self, queue: _Queue, callback: DeliveryCallback) -> None:
        while True:
            await queue.in_flight.acquire()
            message = await queue.ready.get()
            task = asyncio.create_task(callback(MemoryDelivery(message, queue)))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def stop_consuming(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def close(self) -> None:
        await self.stop_consuming()
        self._users = max(0, self._users - 1)

    def is_healthy(self) -> bool:
        return self._healthy

    async def dead_letters(self, queue: QueueSpec, limit: int = 100) -> list[dict[str, Any]]:
        return [
            {"message_id": m.message_id, "headers": dict(m.headers), "body": m.body.decode()}
            for m in self._queues[queue.name].dead[:limit]
        ]

    def pending(self) -> int:
        """Messages queued or being handled, across all queues (the demo waits for zero)."""
        return sum(q.ready.qsize() for q in self._queues.values()) + len(self._inflight)
