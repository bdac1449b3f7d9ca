"""Transactional outbox: events are rows written with the data, published after commit.

``Outbox.add`` is called inside the caller's transaction. The relay claims unpublished rows with
``FOR UPDATE SKIP LOCKED`` (so several replicas share the work without double-publishing a row),
publishes them with confirms all in flight, and deletes them in the same transaction. A crash
before that commit leaves the rows in place: they are published again and the consumers' inboxes
drop the duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane_common.background import cancel
from tasklane_common.db.engine import Database
from tasklane_common.errors import PublishError
from tasklane_common.logging import get_logger
from tasklane_common.messaging.broker import Broker, OutgoingMessage
from tasklane_common.messaging.envelope import Envelope, Event, new_envelope
from tasklane_common.telemetry import inject_headers
from tasklane_common.tracing.messaging import publishing

log = get_logger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        # BigInteger on PostgreSQL, INTEGER PRIMARY KEY (rowid) on SQLite.
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("routing_key", String(200), nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )


class Outbox:
    def __init__(self, table: Table, *, producer: str) -> None:
        self.table = table
        self.producer = producer

    async def add(
        self,
        session: AsyncSession,
        event: Event,
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        event_id: str | None = None,
    ) -> Envelope:
        envelope = new_envelope(
            event,
            producer=self.producer,
            correlation_id=correlation_id,
            causation_id=causation_id,
            event_id=event_id,
        )
        await session.execute(
            self.table.insert().values(
                event_id=envelope.id,
                routing_key=envelope.type,
                body=envelope.to_bytes(),
                # The trace context of the transaction that produced the event, so the relay's
                # publish (later, elsewhere) continues the same trace.
                headers=inject_headers(),
                created_at=datetime.now(UTC),
            )
        )
        return envelope


# Under load RabbitMQ slows publishers down (credit flow) rather than failing them: a relay batch
# may take seconds to be confirmed without anything being wrong. Timing out early would only
# publish the same rows again. The gateway's direct publishes keep the short settings timeout.
RELAY_PUBLISH_TIMEOUT_S = 30.0
# After a failure, rows wait at most this long once the broker or database is back.
MAX_BACKOFF_S = 5.0


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        broker: Broker,
        table: Table,
        *,
        batch: int = 200,
        poll_s: float = 1.0,
        service: str = "outbox",
    ) -> None:
        self._service = service
        self._db = db
        self._broker = broker
        self._table = table
        self._batch = batch
        self._poll_s = poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        # Set by the runtime to the service's metrics: (event types, "ok" | "failed").
        self.on_published: Callable[[list[str], str], None] = lambda _types, _outcome: None

    def notify(self) -> None:
        """Called after a commit that added rows: publish now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None
        # Publish what is left so a graceful shutdown leaves nothing for the next start.
        with contextlib.suppress(Exception):
            while await self.relay_once():
                pass

    async def _run(self) -> None:
        backoff = self._poll_s
        while True:
            try:
                while await self.relay_once() >= self._batch:
                    pass
                backoff = self._poll_s
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or DB down: keep the rows, try again later
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                log.warning("outbox_relay_failed", error=str(exc), retry_in_s=backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            self._wake.clear()

    async def relay_once(self) -> int:
        t = self._table
        async with self._db.transaction() as session:
            rows = (
                await session.execute(
                    select(t.c.id, t.c.event_id, t.c.routing_key, t.c.body, t.c.headers)
                    .order_by(t.c.id)
                    .limit(self._batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            messages = [
                OutgoingMessage(
                    routing_key=r.routing_key,
                    body=r.body,
                    message_id=r.event_id,
                    correlation_id=orjson.loads(r.body).get("correlation_id"),
                    headers=r.headers or {},
                )
                for r in rows
            ]
            with publishing(self._service, messages) as traced:
                try:
                    await self._broker.publish(traced, timeout=RELAY_PUBLISH_TIMEOUT_S)
                except PublishError:
                    self.on_published([m.routing_key for m in messages], "failed")
                    raise
            await session.execute(delete(t).where(t.c.id.in_([r.id for r in rows])))
        self.published += len(rows)
        self.on_published([m.routing_key for m in messages], "ok")
        return len(rows)
