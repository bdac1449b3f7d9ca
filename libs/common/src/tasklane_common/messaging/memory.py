"""In-process transport with the RabbitMQ transport's semantics, for the embedded mode and unit
tests: topic routing, mandatory publishing, prefetch, delivery counting, a delivery limit and
dead-letter queues. The same consumer code runs on both."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from tasklane_common.background import cancel_all
from tasklane_common.errors import PublishError
from tasklane_common.messaging.broker import DeliveryCallback, OutgoingMessage
from tasklane_common.messaging.topology import ALL_QUEUES, QueueSpec, dead_letter_queue, topic_matches
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
        # Like a quorum queue: dead-lettered once returned more than ``x-delivery-limit`` times,
        # with the headers RabbitMQ adds.
        if self._queue.dlq is not None and self._message.delivery_count > self._queue.delivery_limit:
            name, key = self._queue.spec.name, self._message.routing_key
            death = {"reason": "delivery_limit", "queue": name, "count": 1, "exchange": "", "time": _now()}
            self._queue.dead_letter(
                self._message,
                {
                    "x-death": [{**death, "routing-keys": [key]}],
                    "x-first-death-reason": "delivery_limit",
                    "x-first-death-queue": name,
                    "x-delivery-count": self._message.delivery_count,
                },
            )
        else:
            self._queue.ready.put_nowait(self._message)

    async def dead_letter(self, reason: str) -> None:
        self._settle()
        self._queue.dead_letter(
            self._message,
            {
                "x-tasklane-reason": reason,
                "x-tasklane-queue": self._queue.spec.name,
                "x-tasklane-dead-at": _now().isoformat(),
            },
        )


class _ControlDelivery:
    """A control-exchange message: delivered once to each subscriber, nothing to settle."""

    def __init__(self, message: OutgoingMessage) -> None:
        self.body = message.body
        self.headers: Mapping[str, Any] = dict(message.headers)
        self.message_id: str | None = message.message_id
        self.routing_key = message.routing_key
        self.redelivered = False
        self.delivery_count = 0

    async def ack(self) -> None:
        return None

    async def requeue(self) -> None:
        return None

    async def dead_letter(self, reason: str) -> None:
        return None


def _now() -> datetime:
    return datetime.now(UTC)


class _Queue:
    def __init__(self, spec: QueueSpec, prefetch: int, delivery_limit: int, dlq: _Queue | None) -> None:
        self.spec = spec
        self.ready: asyncio.Queue[_Message] = asyncio.Queue()
        self.in_flight = asyncio.Semaphore(prefetch)
        self.delivery_limit = delivery_limit
        # None for a dead-letter queue itself: like RabbitMQ's, ours have no dead-lettering.
        self.dlq = dlq

    def dead_letter(self, message: _Message, headers: dict[str, Any]) -> None:
        if self.dlq is None:
            raise RuntimeError(f"{self.spec.name} has no dead-letter queue")
        # A new message in another queue, as on RabbitMQ: its own delivery count starts at zero.
        copy = _Message(message.body, message.message_id, message.routing_key, {**message.headers, **headers})
        self.dlq.ready.put_nowait(copy)

    def peek(self, limit: int) -> list[_Message]:
        """The ready messages, left in place and in order (no await, so nothing interleaves)."""
        held = [self.ready.get_nowait() for _ in range(self.ready.qsize())]
        for message in held:
            self.ready.put_nowait(message)
        return held[:limit]


class _Hub:
    """The broker itself: the queues every connection of one name shares."""

    def __init__(self, settings: BrokerSettings) -> None:
        self.dead = {
            s.name: _Queue(QueueSpec(dead_letter_queue(s.name), ()), settings.prefetch, 0, None)
            for s in ALL_QUEUES
        }
        self.queues = {
            s.name: _Queue(s, settings.prefetch, settings.delivery_limit, self.dead[s.name])
            for s in ALL_QUEUES
        }
        self.inflight: set[asyncio.Task[None]] = set()
        # Consumers per queue name, over every connection (what a passive declare would count).
        self.consumers: dict[str, int] = {}
        # Control-exchange subscribers: (bindings, callback), one per subscribing connection.
        self.subscribers: list[tuple[tuple[str, ...], DeliveryCallback]] = []

    def queue(self, name: str) -> _Queue | None:
        """A topology queue or a dead-letter queue, by name."""
        found = self.queues.get(name)
        if found is None:
            found = next((q for q in self.dead.values() if q.spec.name == name), None)
        return found


class InMemoryBroker:
    """One service's connection to an in-process broker; services using the same
    ``memory://<name>`` share its queues, while each stops only its own consumers."""

    _hubs: ClassVar[dict[str, _Hub]] = {}

    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        name = settings.url.get_secret_value().removeprefix("memory://") or "default"
        hub = self._hubs.get(name)
        if hub is None:
            hub = self._hubs[name] = _Hub(settings)
        self._hub = hub
        self._tasks: list[asyncio.Task[None]] = []
        # Per queue name: its callback and (while not paused) its pump.
        self._pumps: dict[str, tuple[DeliveryCallback, asyncio.Task[None] | None]] = {}
        self._subscriptions: list[tuple[tuple[str, ...], DeliveryCallback]] = []
        self._healthy = True

    @classmethod
    def named(cls, settings: BrokerSettings) -> InMemoryBroker:
        return cls(settings)

    @classmethod
    def forget(cls, name: str) -> None:
        cls._hubs.pop(name, None)

    def set_healthy(self, healthy: bool) -> None:
        """Simulate this connection's outage: its publishes fail while unhealthy."""
        self._healthy = healthy

    async def start(self) -> None:
        return None

    async def publish(self, messages: Sequence[OutgoingMessage], *, timeout: float | None = None) -> None:
        if not self._healthy:
            raise PublishError("in-memory broker marked unavailable")
        routed: list[tuple[_Queue, _Message]] = []
        for m in messages:
            targets = [
                q
                for q in self._hub.queues.values()
                if any(topic_matches(b, m.routing_key) for b in q.spec.bindings)
            ]
            if not targets:
                raise PublishError(f"unroutable: {m.routing_key}")
            routed.extend(
                (q, _Message(m.body, m.message_id, m.routing_key, dict(m.headers))) for q in targets
            )
        for q, msg in routed:
            q.ready.put_nowait(msg)

    async def publish_to_queue(
        self, queue: str, messages: Sequence[OutgoingMessage], *, timeout: float | None = None
    ) -> None:
        if not self._healthy:
            raise PublishError("in-memory broker marked unavailable")
        target = self._hub.queue(queue)
        if target is None:
            raise PublishError(f"no queue {queue}")
        for m in messages:
            target.ready.put_nowait(_Message(m.body, m.message_id, m.routing_key, dict(m.headers)))

    async def consume(self, queue: QueueSpec, callback: DeliveryCallback, *, paused: bool = False) -> None:
        target = self._hub.queue(queue.name)
        if target is None:
            raise KeyError(f"no queue {queue.name}")
        self._pumps[queue.name] = (callback, None if paused else self._start_pump(target, callback))

    def _start_pump(self, target: _Queue, callback: DeliveryCallback) -> asyncio.Task[None]:
        task = asyncio.create_task(self._pump(target, callback))
        self._tasks.append(task)
        self._hub.consumers[target.spec.name] = self._hub.consumers.get(target.spec.name, 0) + 1
        return task

    async def _stop_pump(self, name: str, task: asyncio.Task[None]) -> None:
        await cancel_all([task])
        self._tasks.remove(task)
        self._hub.consumers[name] -= 1

    async def pause(self, queue: str) -> bool:
        found = self._pumps.get(queue)
        if found is None or found[1] is None:
            return False
        self._pumps[queue] = (found[0], None)
        # Deliveries the pump handed out run on as their own tasks; the rest wait in the queue.
        await self._stop_pump(queue, found[1])
        return True

    async def resume(self, queue: str) -> bool:
        found = self._pumps.get(queue)
        target = self._hub.queue(queue)
        if found is None or found[1] is not None or target is None:
            return False
        self._pumps[queue] = (found[0], self._start_pump(target, found[0]))
        return True

    async def broadcast(self, message: OutgoingMessage) -> None:
        if not self._healthy:
            raise PublishError("in-memory broker marked unavailable")
        for bindings, callback in list(self._hub.subscribers):
            if any(topic_matches(b, message.routing_key) for b in bindings):
                delivery = _ControlDelivery(message)
                task = asyncio.create_task(callback(delivery))
                self._hub.inflight.add(task)
                task.add_done_callback(self._hub.inflight.discard)

    async def subscribe(self, bindings: Sequence[str], callback: DeliveryCallback) -> None:
        entry = (tuple(bindings), callback)
        self._hub.subscribers.append(entry)
        self._subscriptions.append(entry)

    async def queue_depths(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for spec in ALL_QUEUES:
            for q in (self._hub.queues[spec.name], self._hub.dead[spec.name]):
                out[q.spec.name] = (q.ready.qsize(), self._hub.consumers.get(q.spec.name, 0))
        return out

    async def _pump(self, queue: _Queue, callback: DeliveryCallback) -> None:
        while True:
            await queue.in_flight.acquire()
            try:
                message = await queue.ready.get()
            except asyncio.CancelledError:
                queue.in_flight.release()  # the slot was never used: give it back
                raise
            task = asyncio.create_task(callback(MemoryDelivery(message, queue)))
            self._hub.inflight.add(task)
            task.add_done_callback(self._hub.inflight.discard)

    async def stop_consuming(self) -> None:
        await cancel_all(self._tasks)
        self._tasks.clear()
        for name, (_, task) in self._pumps.items():
            if task is not None:
                self._hub.consumers[name] -= 1
        self._pumps.clear()
        for entry in self._subscriptions:
            if entry in self._hub.subscribers:
                self._hub.subscribers.remove(entry)
        self._subscriptions.clear()

    async def close(self) -> None:
        await self.stop_consuming()

    def is_healthy(self) -> bool:
        return self._healthy

    async def dead_letters(self, queue: QueueSpec, limit: int = 100) -> list[dict[str, Any]]:
        return [
            {"message_id": m.message_id, "headers": dict(m.headers), "body": m.body.decode(errors="replace")}
            for m in self._hub.dead[queue.name].peek(limit)
        ]

    def pending(self) -> int:
        """Messages queued or being handled, across all queues of this broker (dead-letter
        queues not counted: their messages wait for an operator, not for the system)."""
        return sum(q.ready.qsize() for q in self._hub.queues.values()) + len(self._hub.inflight)
