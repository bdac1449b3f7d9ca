"""Consumers that take deliveries in batches: one transaction and one commit for many events.

For consumers whose work per event is a row or two (analytics records every event of the system),
the transaction, not the work, is the cost; a batch of up to ``max_batch`` deliveries, gathered
for at most ``linger_s``, shares one. The guarantees are the single consumer's: the inbox rows
and the effects commit together before any delivery of the batch is acked; invalid messages are
dead-lettered one by one; and if a batch keeps failing, its deliveries are retried one at a time
so that a poison message is isolated (dead-lettered or returned to the broker) while the others
go through.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.db.engine import Database
from tasklane_common.errors import PermanentError
from tasklane_common.logging import get_logger
from tasklane_common.messaging.broker import Delivery
from tasklane_common.messaging.envelope import Envelope
from tasklane_common.messaging.failures import (
    ConsumerBase,
    give_back,
    holding_while_database_down,
    settle,
)
from tasklane_common.messaging.inbox import claim_many
from tasklane_common.messaging.topology import QueueSpec
from tasklane_common.telemetry import tracer
from tasklane_common.tracing.messaging import batch_attributes, batch_links, process_span_name

log = get_logger(__name__)


@dataclass
class BatchContext:
    session: AsyncSession
    # The broker headers of each delivery, by event id (e.g. its ``traceparent``).
    headers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


BatchHandler = Callable[[BatchContext, list[Envelope]], Awaitable[None]]


class BatchConsumer(ConsumerBase):
    def __init__(
        self,
        *,
        service: str,
        queue: QueueSpec,
        db: Database,
        inbox: Table,
        handler: BatchHandler,
        max_batch: int = 200,
        linger_s: float = 0.02,
        delivery_limit: int = 10,
        attempts: int = 3,
    ) -> None:
        super().__init__(
            service=service, queue=queue, db=db, inbox=inbox, delivery_limit=delivery_limit, attempts=attempts
        )
        self._handler = handler
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._buffer: list[Delivery] = []
        self._timer: asyncio.Task[None] | None = None
        self._flushing: set[asyncio.Task[None]] = set()
        self.batches = 0

    async def handle(self, delivery: Delivery) -> None:
        self._in_flight.add()
        self._buffer.append(delivery)
        if len(self._buffer) >= self._max_batch:
            self._flush_now()
        elif self._timer is None:
            self._timer = asyncio.create_task(self._linger())

    async def drain(self, timeout: float) -> bool:
        self._flush_now()
        return await super().drain(timeout)

    async def _linger(self) -> None:
        await asyncio.sleep(self._linger_s)
        self._timer = None
        self._flush_now()

    def _flush_now(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        task = asyncio.create_task(self._process(batch))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _process(self, batch: list[Delivery]) -> None:
        try:
            valid: list[tuple[Delivery, Envelope]] = []
            for delivery in batch:
                try:
                    valid.append((delivery, Envelope.from_bytes(delivery.body)))
                except PermanentError as exc:
                    self.observe("unknown", "dead_lettered", None)
                    await self._dead_letter(delivery, str(exc))
            if valid:
                await self._process_valid(valid)
        finally:
            self._in_flight.done(len(batch))

    async def _process_valid(self, items: list[tuple[Delivery, Envelope]]) -> None:
        with tracer(self._service).start_as_current_span(
            process_span_name(self.queue.name),
            kind=trace.SpanKind.CONSUMER,
            links=batch_links([d.headers for d, _ in items]),
            attributes=batch_attributes(self.queue.name, len(items)),
        ):
            started = time.perf_counter()
            try:
                fresh = await self._run([e for _, e in items], {e.id: d.headers for d, e in items})
            except Exception as exc:
                log.warning(
                    "batch_failed_isolating",
                    consumer=self.name,
                    size=len(items),
                    error=f"{type(exc).__name__}: {exc}",
                )
                await self._one_by_one(items)
                return
        for delivery, _ in items:
            await settle(delivery.ack(), consumer=self.name, what="ack")
        self._observe_batch([e for _, e in items], fresh, time.perf_counter() - started)
        self.batches += 1
        self.handled += len(fresh)
        self.duplicates += len(items) - len(fresh)

    def _observe_batch(self, envelopes: list[Envelope], fresh: set[str], seconds: float) -> None:
        first: set[str] = set()
        for envelope in envelopes:
            # An id twice in one batch is a duplicate the second time, as for the inbox.
            new = envelope.id in fresh and envelope.id not in first
            first.add(envelope.id)
            self.observe(envelope.type, "handled" if new else "duplicate", None)
        self.observe("batch", "handled", seconds)

    async def _run(self, envelopes: list[Envelope], headers: Mapping[str, Mapping[str, Any]]) -> set[str]:
        return await holding_while_database_down(
            self._db,
            lambda: self._attempt(envelopes, headers),
            consumer=self.name,
            event_ids=[e.id for e in envelopes],
        )

    async def _attempt(self, envelopes: list[Envelope], headers: Mapping[str, Mapping[str, Any]]) -> set[str]:
        """The ids of ``envelopes`` that were new to the inbox (handled now)."""
        unique = list({e.id: e for e in envelopes}.values())
        async for attempt in self._retrying():
            with attempt:
                async with self._db.transaction() as session:
                    new_ids = await claim_many(session, self._inbox, self.name, [e.id for e in unique])
                    fresh = [e for e in unique if e.id in new_ids]
                    if fresh:
                        await self._handler(BatchContext(session, headers), fresh)
                    return {e.id for e in fresh}
        raise AssertionError("unreachable")  # pragma: no cover

    async def _one_by_one(self, items: list[tuple[Delivery, Envelope]]) -> None:
        for delivery, envelope in items:
            try:
                fresh = await self._run([envelope], {envelope.id: delivery.headers})
            except PermanentError as exc:
                self.observe(envelope.type, "dead_lettered", None)
                await self._dead_letter(delivery, str(exc), event_id=envelope.id, type=envelope.type)
                continue
            except Exception as exc:
                log.warning(
                    "message_requeued",
                    consumer=self.name,
                    event_id=envelope.id,
                    type=envelope.type,
                    error=f"{type(exc).__name__}: {exc}",
                )
                await give_back(
                    delivery,
                    consumer=self.name,
                    delivery_limit=self._delivery_limit,
                    error=f"{type(exc).__name__}: {exc}",
                )
                continue
            await settle(delivery.ack(), consumer=self.name, what="ack")
            self.observe(envelope.type, "handled" if fresh else "duplicate", None)
            self.handled += len(fresh)
            self.duplicates += 1 - len(fresh)
