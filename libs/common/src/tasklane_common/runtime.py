"""What one service owns while it runs: its database, its broker connection, its outbox relay
and its consumers. A service's lifespan builds one ``ServiceRuntime``, starts it and stops it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Column, ColumnElement, MetaData, Table

from tasklane_common.control.plane import ControlPlane
from tasklane_common.db.engine import Database
from tasklane_common.db.migrations import upgrade
from tasklane_common.db.retention import Pruner, RetentionRule
from tasklane_common.logging import configure_logging, get_logger
from tasklane_common.messaging.batch import BatchConsumer, BatchHandler
from tasklane_common.messaging.broker import Broker, OutgoingMessage, connect_broker
from tasklane_common.messaging.consumer import Consumer
from tasklane_common.messaging.deadletters import DeadLetters, dead_letter_spec
from tasklane_common.messaging.envelope import Envelope
from tasklane_common.messaging.outbox import Outbox, OutboxRelay
from tasklane_common.messaging.topology import QueueSpec
from tasklane_common.metrics import ServiceMetrics
from tasklane_common.metrics.sampling import sample_dead_letters, sample_outbox
from tasklane_common.settings import ServiceSettings
from tasklane_common.telemetry import flush_tracing, setup_tracing, tracing_exports
from tasklane_common.tracing.messaging import publishing

log = get_logger(__name__)


class ServiceRuntime:
    def __init__(
        self,
        service: str,
        settings: ServiceSettings,
        metadata: MetaData,
        *,
        migrations: Path,
    ) -> None:
        assert metadata.schema, "service metadata must carry the logical schema"
        self.service = service
        self.settings = settings
        self.migrations = migrations
        self.db = Database(settings.database, logical_schema=metadata.schema)
        self.broker: Broker = connect_broker(settings.broker)
        # This instance's own registry: several services (and test apps) share one process.
        self.metrics = ServiceMetrics(service)
        self._inbox: Table = metadata.tables[f"{metadata.schema}.inbox"]
        outbox_table = metadata.tables.get(f"{metadata.schema}.outbox")
        self.outbox = Outbox(outbox_table, producer=service) if outbox_table is not None else None
        self.relay = (
            OutboxRelay(
                self.db, self.broker, outbox_table, poll_s=settings.outbox_poll_interval_s, service=service
            )
            if outbox_table is not None
            else None
        )
        if self.relay is not None:
            self.relay.on_published = self.metrics.messaging.on_published
        if outbox_table is not None:
            self.metrics.sampler(
                "outbox", lambda: sample_outbox(self.db, outbox_table, self.metrics.messaging)
            )
        self.consumers: list[Consumer | BatchConsumer] = []
        dead_table = metadata.tables.get(f"{metadata.schema}.dead_letters")
        # Captures the dead-letter queues of this service's own queues (see ``deadletters``).
        self.dead_letters = (
            DeadLetters(service=service, db=self.db, broker=self.broker, table=dead_table)
            if dead_table is not None
            else None
        )
        if self.dead_letters is not None and dead_table is not None:
            self.dead_letters.on_captured = self.metrics.messaging.on_dead_letter
            self.metrics.sampler(
                "dead_letters",
                lambda: sample_dead_letters(
                    self.db, dead_table, [c.queue.name for c in self.consumers], self.metrics.messaging
                ),
            )
        self.pruner = Pruner(
            self.db,
            [
                RetentionRule(
                    self._inbox,
                    self._inbox.c.processed_at,
                    self._inbox.c.event_id,
                    timedelta(days=settings.inbox_retention_days),
                )
            ],
            interval_s=settings.retention_interval_s,
        )
        if dead_table is not None:
            self.retain(
                dead_table,
                aged_by=dead_table.c.dead_at,
                key=dead_table.c.id,
                keep=timedelta(days=settings.dead_letter_retention_days),
            )
        # Heartbeats, operators' commands and the paused state (tasklane_common.control).
        self.control = ControlPlane(
            self,
            metadata.tables.get(f"{metadata.schema}.consumer_pauses"),
            interval_s=settings.control_interval_s,
        )
        self.started_at = time.monotonic()
        self.running = False

    def consumer(self, queue: QueueSpec) -> Consumer:
        consumer = Consumer(
            service=self.service,
            queue=queue,
            db=self.db,
            inbox=self._inbox,
            outbox=self.outbox,
            relay=self.relay,
            delivery_limit=self.settings.broker.delivery_limit,
        )
        consumer.observe = self.metrics.messaging.consumer_observer(queue.name)
        self.consumers.append(consumer)
        return consumer

    def retain(
        self,
        table: Table,
        *,
        aged_by: Column[datetime],
        key: Column[Any],
        keep: timedelta,
        only: ColumnElement[bool] | None = None,
    ) -> None:
        """Prune ``table``'s rows (those matching ``only``, when given) once ``aged_by`` is older
        than ``keep`` (hourly, in batches)."""
        self.pruner.rules.append(RetentionRule(table, aged_by, key, keep, only))

    def batch_consumer(
        self, queue: QueueSpec, handler: BatchHandler, *, max_batch: int = 200, linger_s: float = 0.02
    ) -> BatchConsumer:
        """A consumer handling up to ``max_batch`` deliveries in one transaction (see ``batch``)."""
        consumer = BatchConsumer(
            service=self.service,
            queue=queue,
            db=self.db,
            inbox=self._inbox,
            handler=handler,
            # A batch can never hold more than the broker hands out unacknowledged.
            max_batch=min(max_batch, self.settings.broker.prefetch),
            linger_s=linger_s,
            delivery_limit=self.settings.broker.delivery_limit,
        )
        consumer.observe = self.metrics.messaging.consumer_observer(queue.name)
        self.consumers.append(consumer)
        return consumer

    async def start(self) -> None:
        configure_logging(self.settings.logging)
        setup_tracing(self.settings.telemetry, service=self.service)
        if tracing_exports() and self.settings.telemetry.database_spans:
            self.db.instrument(service=self.service)
        try:
            if self.settings.database.migrate_on_startup:
                await upgrade(self.db, self.migrations, settings=self.settings)
            await self.broker.start()
            if self.relay is not None:
                self.relay.start()
            self.pruner.start()
            # A queue an operator paused stays paused in a replica that starts now.
            await self.control.load()
            for consumer in self.consumers:
                await self.broker.consume(
                    consumer.queue, consumer.handle, paused=consumer.queue.name in self.control.paused
                )
            if self.dead_letters is not None:
                for queue in dict.fromkeys(c.queue for c in self.consumers):
                    await self.broker.consume(dead_letter_spec(queue), self.dead_letters.capture(queue))
            await self.control.start()
        except BaseException:
            # A half-started service must not leak its relay task or its connections.
            await self.stop()
            raise
        self.running = True
        log.info("service_started", service=self.service, schema=self.db.schema)

    @asynccontextmanager
    async def lifespan(self, _app: object = None) -> AsyncIterator[None]:
        """Usable directly as a FastAPI lifespan: start, serve, then drain and stop."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Drain: stop taking deliveries, let in-flight ones finish, flush the outbox, close."""
        await self.drain(self.settings.shutdown_grace_s)
        await self.close()

    async def drain(self, timeout: float) -> None:
        """Stop taking deliveries and let in-flight ones finish, for up to ``timeout`` seconds (a
        service may drain its own workers alongside, within the same budget, then ``close``)."""
        self.running = False
        await self.control.stop()
        await self.broker.stop_consuming()
        # Drained together, so shutdown takes at most one grace period whatever the queue count.
        draining = [*self.consumers, *([self.dead_letters] if self.dead_letters is not None else [])]
        drained = await asyncio.gather(*(c.drain(timeout) for c in draining))
        for consumer, ok in zip(draining, drained, strict=True):
            if not ok:
                log.warning("drain_timeout", consumer=consumer.name)

    async def close(self) -> None:
        """After ``drain``: stop the background tasks, flush the outbox, close the connections."""
        await self.pruner.stop()
        if self.relay is not None:
            await self.relay.stop()
        await self.broker.close()
        await self.db.dispose()
        flush_tracing()
        log.info("service_stopped", service=self.service)

    def relay_notify(self) -> None:
        """Events just committed to the outbox go out now, not at the relay's next poll."""
        if self.relay is not None:
            self.relay.notify()

    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Publish directly with confirms (the gateway's path: it answers Meta only after this)."""
        messages = [
            OutgoingMessage(
                routing_key=e.type, body=e.to_bytes(), message_id=e.id, correlation_id=e.correlation_id
            )
            for e in envelopes
        ]
        types = [e.type for e in envelopes]
        try:
            with publishing(self.service, messages) as traced:
                await self.broker.publish(traced)
        except Exception:
            self.metrics.messaging.on_published(types, "failed")
            raise
        self.metrics.messaging.on_published(types, "ok")

    async def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            await self.db.ping()
            checks["database"] = {"status": "up"}
        except Exception as exc:
            checks["database"] = {"status": "down", "error": type(exc).__name__}
        checks["message_queue"] = {"status": "up" if self.broker.is_healthy() else "down"}
        ok = all(c["status"] == "up" for c in checks.values()) and self.running
        return {
            "status": "ok" if ok else "unavailable",
            "service": self.service,
            "uptime_s": round(time.monotonic() - self.started_at, 1),
            "checks": checks,
        }
