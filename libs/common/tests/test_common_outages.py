"""Outages of RabbitMQ and PostgreSQL, through a TCP proxy the tests cut: consumers come back by
themselves, readiness tells the truth meanwhile, and waiting for the database costs no message
its delivery attempts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from pydantic import SecretStr
from sqlalchemy import Column, String, Table, func, select, text

from tasklane_common.db import Database, service_metadata
from tasklane_common.messaging import (
    Consumer,
    HandlerContext,
    OutgoingMessage,
    connect_broker,
    inbox_table,
    new_envelope,
)
from tasklane_common.messaging.broker import Broker
from tasklane_common.messaging.contracts.gateway import UserUnregistered
from tasklane_common.messaging.topology import AGENT_INBOUND
from tasklane_common.settings import BrokerSettings, DatabaseSettings
from tasklane_common.testing import TcpProxy, amqp_url, cleanup_run, database_url, new_run_id

metadata = service_metadata("notes")
notes = Table("notes", metadata, Column("event_id", String(64), primary_key=True))
inbox = inbox_table(metadata)


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not reached in time")
        await asyncio.sleep(0.1)


def _message() -> OutgoingMessage:
    env = new_envelope(UserUnregistered(phone_number_id="p", wa_id="15550001111"), producer="test")
    return OutgoingMessage(routing_key="message.received", body=env.to_bytes(), message_id=env.id)


@pytest.fixture
async def run() -> AsyncIterator[str]:
    rid = new_run_id()
    yield rid
    await cleanup_run(rid)


async def _setup(rid: str, db_url: str, amqp: str) -> tuple[Database, Broker, Consumer]:
    schema = f"{rid}_notes"
    db = Database(DatabaseSettings(url=SecretStr(db_url), schema_name=schema), logical_schema="notes")
    async with db.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await conn.run_sync(metadata.create_all)
    broker = connect_broker(
        BrokerSettings(url=SecretStr(amqp), namespace=f"{rid}.", delivery_limit=2, publish_timeout_s=1.0)
    )
    await broker.start()
    consumer = Consumer(
        service="notes",
        queue=AGENT_INBOUND,
        db=db,
        inbox=inbox,
        outbox=None,
        relay=None,
        delivery_limit=2,
        attempts=2,
    )

    @consumer.on(UserUnregistered)
    async def handle(ctx: HandlerContext, event: UserUnregistered) -> None:
        await ctx.session.execute(notes.insert().values(event_id=ctx.envelope.id))

    await broker.consume(AGENT_INBOUND, consumer.handle)
    return db, broker, consumer


async def _count(db: Database) -> int:
    async with db.read() as s:
        return int((await s.execute(select(func.count()).select_from(notes))).scalar_one())


async def test_consumers_resume_after_the_broker_connection_is_lost(run: str) -> None:
    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    db, broker, _ = await _setup(
        run, database_url(), f"amqp://guest:guest@127.0.0.1:{proxy.port}/?reconnect_interval=0.2"
    )
    direct = connect_broker(BrokerSettings(url=SecretStr(amqp_url()), namespace=f"{run}.", delivery_limit=2))
    await direct.start()
    try:
        await direct.publish([_message()])
        await _eventually(lambda: _is(db, 1))
        await proxy.cut()
        await _eventually(_not(broker.is_healthy))
        await direct.publish([_message()])  # arrives while the consumer is disconnected
        await proxy.restore()
        await _eventually(lambda: _is(db, 2))
        await _eventually(_yes(broker.is_healthy))
    finally:
        await direct.close()
        await broker.close()
        await db.dispose()
        await proxy.close()


async def test_a_database_outage_holds_messages_instead_of_dead_lettering_them(run: str) -> None:
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    # Schema and tables are created directly; the consumer then reaches PostgreSQL via the proxy.
    setup_db, _, _ = await _setup_tables_only(run)
    db, broker, consumer = await _setup(
        run, f"postgresql+asyncpg://postgres@127.0.0.1:{proxy.port}/postgres", amqp_url()
    )
    try:
        await proxy.cut()
        await broker.publish([_message() for _ in range(10)])
        await asyncio.sleep(4.0)  # several delivery limits' worth of failures, were they counted
        await proxy.restore()
        await _eventually(lambda: _is(setup_db, 10))
        assert await broker.dead_letters(AGENT_INBOUND) == []
        assert consumer.handled == 10
    finally:
        await broker.close()
        await db.dispose()
        await setup_db.dispose()
        await proxy.close()


async def _setup_tables_only(rid: str) -> tuple[Database, None, None]:
    schema = f"{rid}_notes"
    db = Database(DatabaseSettings(url=SecretStr(database_url()), schema_name=schema), logical_schema="notes")
    async with db.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await conn.run_sync(metadata.create_all)
    return db, None, None


async def _is(db: Database, n: int) -> bool:
    return await _count(db) == n


def _not(predicate: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return not predicate()

    return check


def _yes(predicate: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return predicate()

    return check
