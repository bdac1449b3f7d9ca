"""The in-process transport keeps the RabbitMQ transport's promises (embedded mode, unit tests)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from tasklane_common.errors import PublishError
from tasklane_common.messaging import OutgoingMessage
from tasklane_common.messaging.broker import Delivery
from tasklane_common.messaging.memory import InMemoryBroker
from tasklane_common.messaging.topology import AGENT_INBOUND, ANALYTICS_EVENTS, SENDER_REPLIES
from tasklane_common.settings import BrokerSettings


@pytest.fixture
async def settings() -> AsyncIterator[BrokerSettings]:
    name = uuid.uuid4().hex
    yield BrokerSettings(url=SecretStr(f"memory://{name}"), delivery_limit=3, prefetch=5)
    InMemoryBroker.forget(name)


def _msg(key: str, i: int = 0) -> OutgoingMessage:
    return OutgoingMessage(routing_key=key, body=b"{}", message_id=f"m{i}")


async def test_topic_routing_reaches_every_bound_queue(settings: BrokerSettings) -> None:
    broker = InMemoryBroker.named(settings)
    got: dict[str, list[str]] = {"agent": [], "analytics": [], "sender": []}

    def collect(into: str):  # type: ignore[no-untyped-def]
        async def on(delivery: Delivery) -> None:
            got[into].append(delivery.routing_key)
            await delivery.ack()

        return on

    await broker.consume(AGENT_INBOUND, collect("agent"))
    await broker.consume(ANALYTICS_EVENTS, collect("analytics"))
    await broker.consume(SENDER_REPLIES, collect("sender"))
    await broker.publish([_msg("message.received"), _msg("task.created")])
    await asyncio.sleep(0.05)
    assert got == {
        "agent": ["message.received"],
        "analytics": ["message.received", "task.created"],
        "sender": [],
    }
    await broker.close()


async def test_requeued_messages_stop_at_the_delivery_limit(settings: BrokerSettings) -> None:
    broker = InMemoryBroker.named(settings)
    seen: list[int] = []

    async def fail(delivery: Delivery) -> None:
        seen.append(delivery.delivery_count)
        await delivery.requeue()

    await broker.consume(AGENT_INBOUND, fail)
    await broker.publish([_msg("message.received")])
    await asyncio.sleep(0.05)
    assert seen == [0, 1, 2, 3]  # the first delivery and 3 redeliveries, as on RabbitMQ
    dead = await broker.dead_letters(AGENT_INBOUND)
    assert dead[0]["headers"]["x-first-death-reason"] == "delivery_limit"
    await broker.close()


async def test_an_unhealthy_connection_refuses_publishes(settings: BrokerSettings) -> None:
    broker = InMemoryBroker.named(settings)
    broker.set_healthy(False)
    with pytest.raises(PublishError):
        await broker.publish([_msg("message.received")])
    assert not broker.is_healthy()


async def test_each_connection_stops_only_its_own_consumers(settings: BrokerSettings) -> None:
    agent, analytics = InMemoryBroker.named(settings), InMemoryBroker.named(settings)
    received: list[str] = []

    async def on(delivery: Delivery) -> None:
        received.append(delivery.routing_key)
        await delivery.ack()

    await agent.consume(AGENT_INBOUND, on)
    await analytics.consume(ANALYTICS_EVENTS, on)
    await agent.close()
    await analytics.publish([_msg("task.created")])
    await asyncio.sleep(0.05)
    assert received == ["task.created"]
    await analytics.close()
