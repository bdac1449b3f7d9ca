"""The control plane as an operator meets it: pausing a queue's consumption on every replica of a
service holds its messages in the queue (none lost, none handled), a replica started while paused
stays paused, a restart keeps the pause, a missed command converges from the stored state, and
resuming handles each waiting message once. Heartbeats say all of it.

A tiny "notes" service with two replicas (two runtimes sharing one schema and one broker), on
RabbitMQ + PostgreSQL and on the in-process transport + SQLite (the embedded mode).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict
from sqlalchemy import Column, MetaData, String, Table, func, select, text

from tasklane_common.control import consumer_pauses_table, heartbeat_routing_key
from tasklane_common.control.pauses import set_paused
from tasklane_common.control.plane import command_routing_key
from tasklane_common.db import service_metadata
from tasklane_common.messaging import (
    HandlerContext,
    OutgoingMessage,
    dead_letters_table,
    inbox_table,
    new_envelope,
    outbox_table,
)
from tasklane_common.messaging.broker import Delivery
from tasklane_common.messaging.contracts.gateway import UserUnregistered
from tasklane_common.messaging.contracts.runtime import ControlCommand, ReplicaHeartbeat
from tasklane_common.messaging.envelope import Envelope
from tasklane_common.messaging.memory import InMemoryBroker
from tasklane_common.messaging.topology import AGENT_INBOUND
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.settings import BrokerSettings, DatabaseSettings, ServiceSettings
from tasklane_common.testing import amqp_url, cleanup_run, database_url, eventually, new_run_id

QUEUE = AGENT_INBOUND.name


class NotesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TASKLANE_NOTES_CONTROL_TEST_", env_nested_delimiter="__")


@dataclass
class Fleet:
    settings: NotesSettings
    metadata: MetaData
    notes: Table
    pauses: Table
    tmp: Path
    replicas: list[ServiceRuntime] = field(default_factory=list)
    handled: list[str] = field(default_factory=list)
    beats: list[ReplicaHeartbeat] = field(default_factory=list)

    async def start(self) -> ServiceRuntime:
        runtime = ServiceRuntime("notes", self.settings, self.metadata, migrations=self.tmp)
        consumer = runtime.consumer(AGENT_INBOUND)

        @consumer.on(UserUnregistered)
        async def handle(ctx: HandlerContext, event: UserUnregistered) -> None:
            await ctx.session.execute(self.notes.insert().values(event_id=ctx.envelope.id))
            self.handled.append(ctx.envelope.id)

        async def on_beat(delivery: Delivery) -> None:
            self.beats.append(Envelope.from_bytes(delivery.body).open(ReplicaHeartbeat))

        runtime.control.listen([heartbeat_routing_key("notes")], on_beat)
        await runtime.start()
        self.replicas.append(runtime)
        return runtime

    async def stop(self, runtime: ServiceRuntime) -> None:
        self.replicas.remove(runtime)
        await runtime.stop()

    async def command(self, action: str) -> None:
        cmd = ControlCommand(
            command_id=str(uuid.uuid4()),
            service="notes",
            action=action,
            queue=QUEUE,
            actor="ops-test",
            role="operator",
            issued_at=datetime.now(UTC),
        )
        envelope = new_envelope(cmd, producer="test")
        await self.replicas[0].broker.broadcast(
            OutgoingMessage(
                routing_key=command_routing_key("notes"), body=envelope.to_bytes(), message_id=envelope.id
            )
        )

    async def publish(self, n: int) -> list[str]:
        envelopes = [
            new_envelope(UserUnregistered(phone_number_id=f"p-{i}", wa_id=f"1555000{i:04d}"), producer="test")
            for i in range(n)
        ]
        # Straight into the queue: the notes service consumes agent.inbound, whatever its bindings.
        await self.replicas[0].broker.publish_to_queue(
            QUEUE,
            [OutgoingMessage(routing_key=e.type, body=e.to_bytes(), message_id=e.id) for e in envelopes],
        )
        return [e.id for e in envelopes]

    async def depth(self) -> int:
        return (await self.replicas[0].broker.queue_depths())[QUEUE][0]

    async def stored(self) -> int:
        async with self.replicas[0].db.read() as session:
            return int((await session.execute(select(func.count()).select_from(self.notes))).scalar_one())


@pytest.fixture(params=["rabbitmq+postgresql", "memory+sqlite"])
async def fleet(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Fleet]:
    rid = new_run_id()
    if request.param == "memory+sqlite":
        broker = BrokerSettings(url=SecretStr(f"memory://{rid}"))
        database = DatabaseSettings(
            url=SecretStr(f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}"), migrate_on_startup=False
        )
    else:
        broker = BrokerSettings(url=SecretStr(amqp_url()), namespace=f"{rid}.")
        database = DatabaseSettings(
            url=SecretStr(database_url()), schema_name=f"{rid}_notes", migrate_on_startup=False
        )
    settings = NotesSettings(broker=broker, database=database, shutdown_grace_s=3.0, control_interval_s=0.2)
    metadata = service_metadata("notes")
    notes = Table("notes", metadata, Column("event_id", String(64), primary_key=True))
    inbox_table(metadata)
    outbox_table(metadata)
    dead_letters_table(metadata)
    pauses = consumer_pauses_table(metadata)
    f = Fleet(settings, metadata, notes, pauses, tmp_path)
    # Nothing connects before start: this runtime only lends its database to create the tables.
    probe = ServiceRuntime("notes", settings, metadata, migrations=tmp_path)
    async with probe.db.engine.begin() as conn:
        if probe.db.schema is not None:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{probe.db.schema}"'))
        await conn.run_sync(metadata.create_all)
    await probe.db.dispose()
    await f.start()
    try:
        yield f
    finally:
        for runtime in list(f.replicas):
            await f.stop(runtime)
        if request.param == "memory+sqlite":
            InMemoryBroker.forget(rid)
        else:
            await cleanup_run(rid)


async def test_a_paused_queue_waits_on_every_replica_and_each_message_is_handled_once_on_resume(
    fleet: Fleet,
) -> None:
    a = fleet.replicas[0]
    await fleet.command("pause")
    await eventually(lambda: _true(QUEUE in a.control.paused))

    ids = await fleet.publish(20)
    await eventually(lambda: _at_least(fleet.depth(), 20))
    assert fleet.handled == []

    # A replica started while paused stays paused: it reads the state before consuming.
    b = await fleet.start()
    assert QUEUE in b.control.paused
    beat = await eventually(lambda: _beat_of(fleet, b.control.replica))
    assert [(c.queue, c.paused) for c in beat.consumers] == [(QUEUE, True)]
    assert beat.readiness["status"] == "ok"

    # A restart keeps the pause.
    await fleet.stop(a)
    a = await fleet.start()
    assert QUEUE in a.control.paused
    assert await fleet.depth() == 20
    assert fleet.handled == []

    await fleet.command("resume")
    await eventually(lambda: _equals(fleet.stored(), 20))
    await eventually(lambda: _equals(fleet.depth(), 0))
    assert sorted(fleet.handled) == sorted(ids)
    assert not a.control.paused
    assert not b.control.paused


async def test_a_replica_that_missed_the_command_converges_and_a_late_copy_changes_nothing(
    fleet: Fleet,
) -> None:
    a = fleet.replicas[0]
    b = await fleet.start()
    now = datetime.now(UTC)
    # As if the pause command never reached either replica: only the stored state says so.
    async with a.db.transaction() as session:
        assert await set_paused(
            session, fleet.pauses, queue=QUEUE, paused=True, issued_at=now, actor="ops", command_id="c1"
        )
    await eventually(lambda: _true(QUEUE in a.control.paused and QUEUE in b.control.paused))

    # A newer resume is recorded; a late copy of the older pause is not.
    async with a.db.transaction() as session:
        assert await set_paused(
            session,
            fleet.pauses,
            queue=QUEUE,
            paused=False,
            issued_at=now + timedelta(seconds=1),
            actor="ops",
            command_id="c2",
        )
        assert not await set_paused(
            session, fleet.pauses, queue=QUEUE, paused=True, issued_at=now, actor="ops", command_id="c1"
        )
    await eventually(lambda: _true(not a.control.paused and not b.control.paused))
    ids = await fleet.publish(5)
    await eventually(lambda: _equals(fleet.stored(), 5))
    assert sorted(fleet.handled) == sorted(ids)


def _beat_of(fleet: Fleet, replica: str) -> Awaitable[ReplicaHeartbeat | None]:
    async def find() -> ReplicaHeartbeat | None:
        return next((b for b in reversed(fleet.beats) if b.replica == replica), None)

    return find()


async def _true(value: bool) -> bool:
    return value


async def _at_least(value: Awaitable[int], n: int) -> bool:
    return await value >= n


async def _equals(value: Awaitable[int], n: int) -> bool:
    return await value == n
