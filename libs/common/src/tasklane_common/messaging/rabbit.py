"""RabbitMQ transport over aio-pika: quorum queues, confirms, manual acks, dead-lettering."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)

from tasklane_common.errors import PublishError
from tasklane_common.logging import get_logger
from tasklane_common.messaging.broker import DeliveryCallback, OutgoingMessage
from tasklane_common.messaging.topology import (
    ALL_QUEUES,
    CONTROL_EXCHANGE,
    DEAD_LETTER_EXCHANGE,
    EXCHANGE,
    QueueSpec,
    dead_letter_queue,
)
from tasklane_common.settings import BrokerSettings

log = get_logger(__name__)


class RabbitDelivery:
    def __init__(self, message: AbstractIncomingMessage, broker: RabbitBroker, queue: str) -> None:
        self._message = message
        self._broker = broker
        self._queue = queue
        self.body = message.body
        self.headers: Mapping[str, Any] = message.headers or {}
        self.message_id = message.message_id
        self.routing_key = message.routing_key or ""
        self.redelivered = bool(message.redelivered)
        count = self.headers.get("x-delivery-count", 0)
        self.delivery_count = int(count) if isinstance(count, int | str) else 0

    async def ack(self) -> None:
        await self._message.ack()

    async def requeue(self) -> None:
        await self._message.nack(requeue=True)

    async def dead_letter(self, reason: str) -> None:
        # Published by us (with confirms) rather than rejected, so that the reason travels along.
        headers = dict(self.headers)
        headers.update(
            {
                "x-tasklane-reason": reason[:1000],
                "x-tasklane-queue": self._queue,
                "x-tasklane-dead-at": datetime.now(UTC).isoformat(),
            }
        )
        await self._broker.publish_dead_letter(self._queue, self._message, headers)
        await self._message.ack()


class RabbitBroker:
    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        self._ns = settings.namespace
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._dlx: AbstractExchange | None = None
        self._consumers: list[tuple[AbstractQueue, str]] = []
        # Per queue name: its queue object, callback and (while not paused) consumer tag.
        self._by_queue: dict[str, tuple[AbstractQueue, Any, str | None]] = {}
        self._control: AbstractExchange | None = None
        self._consume_channels: list[AbstractChannel] = []
        # When the broker last confirmed a publish of ours (event-loop clock).
        self._confirmed_at = 0.0
        # Publishes awaiting their confirm, over all callers. Without a bound, a 10,000-item batch
        # (or a burst of webhooks) queues every frame behind the channel's write lock at once, and no
        # confirm is read until the last frame is written; a window keeps confirms flowing.
        self._window = asyncio.Semaphore(settings.publish_window)

    def _name(self, name: str) -> str:
        return f"{self._ns}{name}"

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(
            self.settings.url.get_secret_value(),
            heartbeat=self.settings.heartbeat_s,
            client_properties={"connection_name": "tasklane"},
        )
        # on_return_raises turns an unroutable mandatory publish into an error instead of a no-op.
        self._publish_channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        await self._declare(self._publish_channel)

    async def _declare(self, channel: AbstractChannel) -> None:
        self._exchange = await channel.declare_exchange(
            self._name(EXCHANGE), aio_pika.ExchangeType.TOPIC, durable=True
        )
        self._dlx = await channel.declare_exchange(
            self._name(DEAD_LETTER_EXCHANGE), aio_pika.ExchangeType.DIRECT, durable=True
        )
        self._control = await channel.declare_exchange(
            self._name(CONTROL_EXCHANGE), aio_pika.ExchangeType.TOPIC, durable=True
        )
        for spec in ALL_QUEUES:
            name = self._name(spec.name)
            dlq = await channel.declare_queue(
                self._name(dead_letter_queue(spec.name)),
                durable=True,
                arguments={"x-queue-type": "quorum"},
            )
            await dlq.bind(self._dlx, routing_key=name)
            queue = await channel.declare_queue(
                name,
                durable=True,
                arguments={
                    "x-queue-type": "quorum",
                    # RabbitMQ 3.x has no default: without it a poison message loops forever.
                    "x-delivery-limit": self.settings.delivery_limit,
                    "x-dead-letter-exchange": self._name(DEAD_LETTER_EXCHANGE),
                    "x-dead-letter-routing-key": name,
                    "x-dead-letter-strategy": "at-least-once",
                    "x-overflow": "reject-publish",
                },
            )
            for key in spec.bindings:
                await queue.bind(self._exchange, routing_key=key)

    async def publish(self, messages: Sequence[OutgoingMessage], *, timeout: float | None = None) -> None:
        if not messages:
            return
        exchange = self._exchange
        if exchange is None or not self.is_healthy():
            raise PublishError("broker not connected")
        try:
            await self._confirmed(
                asyncio.gather(*(self._publish_one(exchange, m) for m in messages)),
                timeout or self.settings.publish_timeout_s,
            )
        except PublishError:
            raise
        except Exception as exc:  # any failure means "not confirmed": the caller must retry
            raise PublishError(f"publish not confirmed: {type(exc).__name__}: {exc}") from exc

    async def _confirmed(self, work: asyncio.Future[Any], stall_s: float) -> None:
        """Wait for ``work`` (publishes awaiting their confirms) while the broker keeps confirming.

        ``stall_s`` bounds how long the broker may go without confirming anything, not how long one
        publish may take: on a busy machine a publish queues behind hundreds of others and its
        confirm is read late, yet the broker is fine. Failing it then would answer Meta 503 only
        because we are busy, and Meta's retry would add to the load. A broker that stops confirming
        (blocked by an alarm, unreachable) is still caught within ``stall_s``; ``publish_max_wait_s``
        caps the wait whatever happens.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        cap = max(stall_s, self.settings.publish_max_wait_s)
        try:
            while not work.done():
                now = loop.time()
                quiet = now - max(self._confirmed_at, started)
                left = min(stall_s - quiet, cap - (now - started))
                if left <= 0:
                    raise TimeoutError(f"no confirm for {quiet:.1f} s")
                await asyncio.wait({work}, timeout=left)
        finally:
            if not work.done():
                work.cancel()
                # Retrieved, so that asyncio does not report the cancelled gather as an error.
                work.add_done_callback(lambda f: None if f.cancelled() else f.exception())
        work.result()

    async def _publish_one(self, exchange: AbstractExchange, m: OutgoingMessage) -> None:
        async with self._window:
            await self._publish_confirmed(exchange, m)

    async def _publish_confirmed(self, exchange: AbstractExchange, m: OutgoingMessage) -> None:
        # With confirms on, aiormq raises on a nack or (on_return_raises) an unroutable return.
        await exchange.publish(
            aio_pika.Message(
                m.body,
                message_id=m.message_id,
                correlation_id=m.correlation_id,
                headers=dict(m.headers),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=m.routing_key,
            mandatory=True,
        )
        self._confirmed_at = asyncio.get_running_loop().time()

    async def publish_to_queue(
        self, queue: str, messages: Sequence[OutgoingMessage], *, timeout: float | None = None
    ) -> None:
        channel = self._publish_channel
        if channel is None or not self.is_healthy():
            raise PublishError("broker not connected")
        # The default exchange routes by queue name; mandatory + returns raising refuses a queue
        # that does not exist instead of dropping the message.
        exchange = channel.default_exchange
        name = self._name(queue)
        try:
            await self._confirmed(
                asyncio.gather(
                    *(self._publish_one(exchange, replace(m, routing_key=name)) for m in messages)
                ),
                timeout or self.settings.publish_timeout_s,
            )
        except Exception as exc:
            raise PublishError(f"publish to {queue} not confirmed: {type(exc).__name__}: {exc}") from exc

    async def publish_dead_letter(
        self, queue: str, message: AbstractIncomingMessage, headers: dict[str, Any]
    ) -> None:
        if self._dlx is None or not self.is_healthy():
            raise PublishError("broker not connected")
        await asyncio.wait_for(
            self._publish_dead_letter(queue, message, headers), self.settings.publish_timeout_s
        )

    async def _publish_dead_letter(
        self, queue: str, message: AbstractIncomingMessage, headers: dict[str, Any]
    ) -> None:
        assert self._dlx is not None
        await self._dlx.publish(
            aio_pika.Message(
                message.body,
                message_id=message.message_id,
                correlation_id=message.correlation_id,
                headers=headers,
                content_type=message.content_type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=queue,
            mandatory=True,
        )

    async def consume(self, queue: QueueSpec, callback: DeliveryCallback, *, paused: bool = False) -> None:
        assert self._connection is not None, "start() first"
        channel = await self._connection.channel(publisher_confirms=False)
        await channel.set_qos(prefetch_count=self.settings.prefetch)
        # ensure=True declares passively, which registers the queue with the robust channel:
        # only registered queues get their consumers back after a reconnect or channel error.
        amqp_queue = await channel.get_queue(self._name(queue.name), ensure=True)
        name = self._name(queue.name)

        async def on_message(message: AbstractIncomingMessage) -> None:
            await callback(RabbitDelivery(message, self, name))

        self._consume_channels.append(channel)
        if paused:
            self._by_queue[queue.name] = (amqp_queue, on_message, None)
            return
        tag = await amqp_queue.consume(on_message, no_ack=False)
        self._consumers.append((amqp_queue, tag))
        self._by_queue[queue.name] = (amqp_queue, on_message, tag)

    async def pause(self, queue: str) -> bool:
        found = self._by_queue.get(queue)
        if found is None or found[2] is None:
            return False
        amqp_queue, on_message, tag = found[0], found[1], found[2]
        self._by_queue[queue] = (amqp_queue, on_message, None)
        self._consumers = [(q, t) for q, t in self._consumers if t != tag]
        # basic.cancel: the broker stops handing out messages; those already delivered are
        # still acked by the handlers running them, so nothing is requeued or lost.
        await amqp_queue.cancel(tag)
        return True

    async def resume(self, queue: str) -> bool:
        found = self._by_queue.get(queue)
        if found is None or found[2] is not None:
            return False
        amqp_queue, on_message, _ = found
        tag = await amqp_queue.consume(on_message, no_ack=False)
        self._by_queue[queue] = (amqp_queue, on_message, tag)
        self._consumers.append((amqp_queue, tag))
        return True

    async def broadcast(self, message: OutgoingMessage) -> None:
        exchange = self._control
        if exchange is None or not self.is_healthy():
            raise PublishError("broker not connected")
        try:
            await asyncio.wait_for(
                exchange.publish(
                    aio_pika.Message(
                        message.body,
                        message_id=message.message_id,
                        correlation_id=message.correlation_id,
                        headers=dict(message.headers),
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT,
                    ),
                    routing_key=message.routing_key,
                    # A heartbeat nobody listens to (no analytics running) is not an error.
                    mandatory=False,
                ),
                self.settings.publish_timeout_s,
            )
        except Exception as exc:
            raise PublishError(f"broadcast not confirmed: {type(exc).__name__}: {exc}") from exc

    async def subscribe(self, bindings: Sequence[str], callback: DeliveryCallback) -> None:
        assert self._connection is not None, "start() first"
        assert self._control is not None, "start() first"
        channel = await self._connection.channel(publisher_confirms=False)
        # Server-named, exclusive and auto-deleted: one per replica, gone with its connection
        # (a robust channel declares it again, with its bindings, after a reconnect).
        queue = await channel.declare_queue(
            "", exclusive=True, auto_delete=True, arguments={"x-message-ttl": 60_000}
        )
        for key in bindings:
            await queue.bind(self._name(CONTROL_EXCHANGE), routing_key=key)
        name = queue.name

        async def on_message(message: AbstractIncomingMessage) -> None:
            await callback(RabbitDelivery(message, self, name))

        await queue.consume(on_message, no_ack=True)
        self._consume_channels.append(channel)

    async def queue_depths(self) -> dict[str, tuple[int, int]]:
        assert self._connection is not None, "start() first"
        out: dict[str, tuple[int, int]] = {}
        channel = await self._connection.channel()
        try:
            for spec in ALL_QUEUES:
                for name in (spec.name, dead_letter_queue(spec.name)):
                    # A passive declare answers the queue's ready messages and consumers.
                    declared = await channel.declare_queue(self._name(name), passive=True)
                    result = declared.declaration_result
                    out[name] = (int(result.message_count or 0), int(result.consumer_count or 0))
        finally:
            await channel.close()
        return out

    async def stop_consuming(self) -> None:
        for queue, tag in self._consumers:
            try:
                await queue.cancel(tag)
            except Exception as exc:  # the channel may already be gone; nothing left to cancel
                log.warning("consumer_cancel_failed", error=str(exc))
        self._consumers.clear()
        self._by_queue.clear()

    async def close(self) -> None:
        await self.stop_consuming()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    def is_healthy(self) -> bool:
        # A robust connection stays "open" while it reconnects; ``connected`` tells the truth.
        conn = self._connection
        if conn is None or conn.is_closed or not conn.connected.is_set():
            return False
        # A consumer whose channel stayed closed consumes nothing: report it, so Kubernetes
        # takes the pod out of rotation and eventually restarts it.
        return all(not channel.is_closed for channel in self._consume_channels)

    async def dead_letters(self, queue: QueueSpec, limit: int = 100) -> list[dict[str, Any]]:
        """Peek without consuming: get + nack(requeue) would reorder, so read then requeue all."""
        assert self._connection is not None
        channel = await self._connection.channel()
        try:
            dlq = await channel.get_queue(self._name(dead_letter_queue(queue.name)), ensure=False)
            held: list[AbstractIncomingMessage] = []
            out: list[dict[str, Any]] = []
            for _ in range(limit):
                msg = await dlq.get(no_ack=False, fail=False)
                if msg is None:
                    break
                held.append(msg)
                out.append(
                    {
                        "message_id": msg.message_id,
                        "headers": dict(msg.headers or {}),
                        "body": msg.body.decode(errors="replace"),
                    }
                )
            for msg in held:
                await msg.nack(requeue=True)
            return out
        finally:
            await channel.close()
