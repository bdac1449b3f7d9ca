"""Typed, idempotent event handlers: the contract is the handler's signature.

    consumer = runtime.consumer(AGENT_INBOUND)

    @consumer.on(MessageReceived)
    async def handle(ctx: HandlerContext, event: MessageReceived) -> None:
        ...                     # write with ctx.session, emit with await ctx.publish(...)

For each delivery the consumer opens one transaction, claims the event id in the inbox, runs the
handler and commits; only then does it ack. Redeliveries and duplicates find the inbox row and
change nothing. Invalid messages go to the dead-letter queue with their reason; other failures
retry with backoff and then return to the broker, whose delivery limit dead-letters a poison
message.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from opentelemetry import trace
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.engine import Database
from tasklane_common.errors import PermanentError
from tasklane_common.logging import get_logger
from tasklane_common.messaging.broker import Delivery
from tasklane_common.messaging.envelope import Envelope, Event
from tasklane_common.messaging.failures import (
    ConsumerBase,
    give_back,
    holding_while_database_down,
    settle,
)
from tasklane_common.messaging.inbox import claim
from tasklane_common.messaging.outbox import Outbox, OutboxRelay
from tasklane_common.messaging.topology import QueueSpec
from tasklane_common.telemetry import extract_context, tracer
from tasklane_common.tracing.messaging import process_attributes, process_span_name

log = get_logger(__name__)
E = TypeVar("E", bound=Event)


@dataclass
class HandlerContext:
    session: AsyncSession
    envelope: Envelope
    outbox: Outbox | None

    async def publish(self, event: Event, *, event_id: str | None = None) -> Envelope:
        """Emit ``event`` through the outbox, in this transaction, continuing the conversation."""
        if self.outbox is None:
            raise RuntimeError("this service has no outbox")
        return await self.outbox.add(
            self.session,
            event,
            correlation_id=self.envelope.correlation_id,
            causation_id=self.envelope.id,
            event_id=event_id,
        )


Handler = Callable[[HandlerContext, Any], Awaitable[None]]


@dataclass
class _Route:
    contract: type[Event] | None
    func: Handler


class Consumer(ConsumerBase):
    def __init__(
        self,
        *,
        service: str,
        queue: QueueSpec,
        db: Database,
        inbox: Table,
        outbox: Outbox | None,
        relay: OutboxRelay | None,
        delivery_limit: int = 10,
        attempts: int = 3,
    ) -> None:
        super().__init__(
            service=service, queue=queue, db=db, inbox=inbox, delivery_limit=delivery_limit, attempts=attempts
        )
        self._outbox = outbox
        self._relay = relay
        self._routes: dict[str, _Route] = {}
        self._fallback: _Route | None = None

    def on(self, contract: type[E]) -> Callable[[Callable[[HandlerContext, E], Awaitable[None]]], Handler]:
        def register(func: Callable[[HandlerContext, E], Awaitable[None]]) -> Handler:
            self._routes[contract.event_type] = _Route(contract, func)
            return func

        return register

    def on_any(self, func: Callable[[HandlerContext, Envelope], Awaitable[None]]) -> Handler:
        """Handle every event type without a route of its own; receives the envelope itself."""
        self._fallback = _Route(None, func)
        return func

    async def handle(self, delivery: Delivery) -> None:
        self._in_flight.add()
        try:
            await self._handle(delivery)
        finally:
            self._in_flight.done()

    async def _handle(self, delivery: Delivery) -> None:
        try:
            envelope = Envelope.from_bytes(delivery.body)
        except PermanentError as exc:
            self.observe("unknown", "dead_lettered", None)
            await self._dead_letter(delivery, str(exc))
            return
        route = self._routes.get(envelope.type, self._fallback)
        if route is None:
            # The queue's bindings brought an event nobody here handles: a topology mistake.
            log.warning(
                "message_without_handler", consumer=self.name, type=envelope.type, event_id=envelope.id
            )
            self.observe(envelope.type, "unrouted", None)
            await settle(delivery.ack(), consumer=self.name, what="ack")
            return
        parent = extract_context(delivery.headers)
        with tracer(self._service).start_as_current_span(
            process_span_name(self.queue.name),
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes=process_attributes(
                self.queue.name, delivery, message_id=envelope.id, conversation_id=envelope.correlation_id
            ),
        ) as span:
            started = time.perf_counter()
            try:
                payload: Any = envelope if route.contract is None else envelope.open(route.contract)
                duplicate = await self._run(envelope, route, payload)
            except PermanentError as exc:
                span.record_exception(exc)
                self.observe(envelope.type, "dead_lettered", time.perf_counter() - started)
                await self._dead_letter(delivery, str(exc), event_id=envelope.id, type=envelope.type)
                return
            except Exception as exc:
                span.record_exception(exc)
                span.set_status(trace.StatusCode.ERROR)
                log.warning(
                    "message_requeued",
                    consumer=self.name,
                    event_id=envelope.id,
                    type=envelope.type,
                    error=f"{type(exc).__name__}: {exc}",
                    delivery_count=delivery.delivery_count,
                )
                self.observe(envelope.type, "failed", time.perf_counter() - started)
                self.failed += 1
                await give_back(
                    delivery,
                    consumer=self.name,
                    delivery_limit=self._delivery_limit,
                    error=f"{type(exc).__name__}: {exc}",
                )
                return
            await settle(delivery.ack(), consumer=self.name, what="ack")
            elapsed = time.perf_counter() - started
            self.observe(envelope.type, "duplicate" if duplicate else "handled", elapsed)
            if duplicate:
                self.duplicates += 1
            else:
                self.handled += 1
                if self._relay is not None:
                    self._relay.notify()
            log.debug(
                "message_handled",
                consumer=self.name,
                event_id=envelope.id,
                type=envelope.type,
                duplicate=duplicate,
                ms=round(elapsed * 1000, 2),
            )

    async def _run(self, envelope: Envelope, route: _Route, payload: Any) -> bool:
        return await holding_while_database_down(
            self._db,
            lambda: self._attempt(envelope, route, payload),
            consumer=self.name,
            event_ids=[envelope.id],
        )

    async def _attempt(self, envelope: Envelope, route: _Route, payload: Any) -> bool:
        async for attempt in self._retrying():
            with attempt:
                async with self._db.transaction() as session:
                    if not await claim(session, self._inbox, self.name, envelope.id):
                        return True
                    await route.func(HandlerContext(session, envelope, self._outbox), payload)
        return False
