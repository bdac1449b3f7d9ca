"""The messaging guarantees, on the real RabbitMQ and PostgreSQL.

A tiny "notes" service is assembled here from the common parts (no domain code): its consumer
writes a note per event and emits an event through the outbox.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pydantic import SecretStr
from sqlalchemy import Column, MetaData, String, Table, func, select, text

from tasklane_common.db import Database, service_metadata
from tasklane_common.errors import PermanentError, PublishError
from tasklane_common.messaging import (
    Consumer,
    HandlerContext,
    Outbox,
    OutboxRelay,
    OutgoingMessage,
    connect_broker,
    inbox_table,
    new_envelope,
    outbox_table,
)
from tasklane_common.messaging.broker import Broker
from tasklane_common.messaging.contracts.agent import TaskCreated
from tasklane_common.messaging.contracts.gateway import UserUnregistered
from tasklane_common.messaging.topology import AGENT_INBOUND, ANALYTICS_EVENTS, QueueSpec
from tasklane_common.settings import BrokerSettings, DatabaseSettings
from tasklane_common.testing import amqp_url, cleanup_run, database_url, new_run_id


@dataclass
class Notes:
    db: Database
    metadata: MetaData
    notes: Table
    broker: Broker
    outbox: Outbox
    relay: OutboxRelay
    consumer: Consumer


async def _wait_until(predicate: object, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await predicate():  # type: ignore[operator]
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def notes() -> AsyncIterator[Notes]:
    rid = new_run_id()
    metadata = service_metadata("notes")
    table = Table(
        "notes", metadata, Column("event_id", String(64), primary_key=True), Column("body", String(200))
    )
    inbox = inbox_table(metadata)
    out = outbox_table(metadata)
    db = Database(
        DatabaseSettings(url=SecretStr(database_url()), schema_name=f"{rid}_notes"), logical_schema="notes"
    )
    async with db.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{rid}_notes"'))
        await conn.run_sync(metadata.create_all)
    broker = connect_broker(
        BrokerSettings(
            url=SecretStr(amqp_url()), namespace=f"{rid}.", delivery_limit=3, publish_timeout_s=2.0
        )
    )
    await broker.start()
    outbox = Outbox(out, producer="notes")
    relay = OutboxRelay(db, broker, out, poll_s=0.1)
    consumer = Consumer(
        service="notes", queue=AGENT_INBOUND, db=db, inbox=inbox, outbox=outbox, relay=relay, attempts=2
    )
    yield Notes(db, metadata, table, broker, outbox, relay, consumer)
    await relay.stop()
    await broker.close()
    await db.dispose()
    await cleanup_run(rid)


async def _count(n: Notes) -> int:
    async with n.db.read() as s:
        return int((await s.execute(select(func.count()).select_from(n.notes))).scalar_one())


def _message(event_id: str | None = None, wa_id: str = "5511999990000") -> OutgoingMessage:
    env = new_envelope(
        UserUnregistered(phone_number_id="p1", wa_id=wa_id), producer="test", event_id=event_id
    )
    # Routed through the agent's inbound queue so the test needs no topology of its own.
    return OutgoingMessage(routing_key="message.received", body=env.to_bytes(), message_id=env.id)


async def test_redelivered_and_duplicate_events_are_processed_once(notes: Notes) -> None:
    calls = 0

    @notes.consumer.on(UserUnregistered)
    async def handle(ctx: HandlerContext, event: UserUnregistered) -> None:
        nonlocal calls
        calls += 1
        await ctx.session.execute(notes.notes.insert().values(event_id=ctx.envelope.id, body=event.wa_id))
        await ctx.publish(TaskCreated(task_id=ctx.envelope.id, user_id="u", title=event.wa_id))

    await notes.broker.consume(AGENT_INBOUND, notes.consumer.handle)
    same_id = str(uuid.uuid4())
    await notes.broker.publish([_message(same_id), _message(same_id), _message()])
    await _wait_until(lambda: _async_eq(notes.consumer.handled + notes.consumer.duplicates, 3))
    assert await _count(notes) == 2
    assert calls == 2
    assert notes.consumer.duplicates == 1
    # Both effects emitted one event each through the outbox; the relay empties it.
    assert await notes.relay.relay_once() == 2
    assert await notes.relay.relay_once() == 0


async def _async_eq(a: int, b: int) -> bool:
    return a == b


async def test_invalid_messages_are_dead_lettered_with_their_reason(notes: Notes) -> None:
    @notes.consumer.on(UserUnregistered)
    async def handle(ctx: HandlerContext, event: UserUnregistered) -> None:
        raise PermanentError("this user can never be handled")

    await notes.broker.consume(AGENT_INBOUND, notes.consumer.handle)
    await notes.broker.publish(
        [
            OutgoingMessage(routing_key="message.received", body=b"{not json", message_id="bad-1"),
            _message(),
        ]
    )

    async def two_dead() -> bool:
        return len(await notes.broker.dead_letters(AGENT_INBOUND)) == 2

    await _wait_until(two_dead)
    dead = await notes.broker.dead_letters(AGENT_INBOUND)
    reasons = sorted(d["headers"]["x-tasklane-reason"] for d in dead)
    assert "not an envelope" in reasons[0]
    assert reasons[1] == "this user can never be handled"


async def test_a_poison_message_stops_at_the_delivery_limit(notes: Notes) -> None:
    attempts = 0

    @notes.consumer.on(UserUnregistered)
    async def handle(ctx: HandlerContext, event: UserUnregistered) -> None:
        nonlocal attempts
        attempts += 1
        raise RuntimeError("dependency down")

    await notes.broker.consume(AGENT_INBOUND, notes.consumer.handle)
    await notes.broker.publish([_message()])

    async def dead() -> bool:
        return len(await notes.broker.dead_letters(AGENT_INBOUND)) == 1

    await _wait_until(dead, timeout=30)
    # delivery_limit=3 redeliveries after the first, each retried twice in-process.
    assert attempts == 2 * 4
    assert await _count(notes) == 0


async def test_unroutable_publish_is_refused_not_lost(notes: Notes) -> None:
    import aio_pika

    # Every key is routable while analytics' catch-all queue exists; remove it to see a refusal.
    ns = notes.broker.settings.namespace  # type: ignore[attr-defined]
    conn = await aio_pika.connect(amqp_url())
    async with conn:
        await (await conn.channel()).queue_delete(f"{ns}{ANALYTICS_EVENTS.name}")
    with pytest.raises(PublishError):
        await notes.broker.publish(
            [OutgoingMessage(routing_key="nobody.listens", body=b"{}", message_id="x")]
        )


async def test_outbox_rows_survive_a_crash_before_relay(notes: Notes) -> None:
    async with notes.db.transaction() as s:
        for i in range(5):
            await notes.outbox.add(s, TaskCreated(task_id=str(i), user_id="u", title="t"))
    # No relay ran ("crash"); a new relay (next start) publishes all of them exactly once.
    fresh = OutboxRelay(notes.db, notes.broker, notes.outbox.table, poll_s=0.1)
    assert await fresh.relay_once() == 5
    assert await fresh.relay_once() == 0
    analytics = await _drain(notes, ANALYTICS_EVENTS)
    assert sorted(e for e in analytics) == sorted(str(i) for i in range(5))


async def _drain(notes: Notes, queue: QueueSpec) -> list[str]:
    import aio_pika
    import orjson

    broker = notes.broker
    ns = broker.settings.namespace  # type: ignore[attr-defined]
    conn = await aio_pika.connect(amqp_url())
    async with conn:
        ch = await conn.channel()
        q = await ch.get_queue(f"{ns}{queue.name}", ensure=False)
        out: list[str] = []
        for _ in range(50):
            msg = await q.get(no_ack=True, fail=False)
            if msg is None:
                break
            out.append(orjson.loads(msg.body)["payload"]["task_id"])
        return out


async def test_batches_commit_once_drop_duplicates_and_isolate_a_poison_message(notes: Notes) -> None:
    from tasklane_common.messaging.batch import BatchConsumer, BatchContext
    from tasklane_common.messaging.envelope import Envelope

    batches: list[int] = []

    async def record(ctx: BatchContext, envelopes: list[Envelope]) -> None:
        batches.append(len(envelopes))
        for e in envelopes:
            if e.payload["wa_id"] == "poison":
                raise PermanentError("poison")
            await ctx.session.execute(notes.notes.insert().values(event_id=e.id, body=e.payload["wa_id"]))

    consumer = BatchConsumer(
        service="notes",
        queue=AGENT_INBOUND,
        db=notes.db,
        inbox=notes.consumer._inbox,
        handler=record,
        max_batch=50,
        linger_s=0.05,
    )
    await notes.broker.consume(AGENT_INBOUND, consumer.handle)
    same = str(uuid.uuid4())
    good = [_message(wa_id=f"1555000{i:04d}") for i in range(40)]
    await notes.broker.publish([*good, _message(same), _message(same)])
    await _wait_until(lambda: _async_eq(consumer.handled + consumer.duplicates, 42))
    assert await _count(notes) == 41
    assert consumer.duplicates == 1
    assert len(batches) < 10  # 42 deliveries took a few transactions, not 42

    await notes.broker.publish([_message(wa_id="15550009999"), _message(wa_id="poison")])

    async def poison_dead() -> bool:
        return len(await notes.broker.dead_letters(AGENT_INBOUND)) == 1

    await _wait_until(poison_dead)
    await _wait_until(lambda: _async_eq(consumer.handled, 42))
    assert await _count(notes) == 42  # the good one of the failing batch went through
    await consumer.drain(5)
