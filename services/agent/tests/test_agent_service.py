"""The agent service on the real RabbitMQ and PostgreSQL: a message in, a task and a reply out."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tasklane_agent.app import create_app
from tasklane_agent.settings import AgentSettings
from tasklane_agent.storage.conversations import ConversationRepository
from tasklane_agent.storage.tables import outbox, tasks
from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.topology import AGENT_INBOUND
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.testing import amqp_url, cleanup_run, new_run_id, real_settings, running

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday


class TickingClock:
    """Wednesday 09:00, a millisecond later at each reading: dates stay pinned, turns stay ordered."""

    def __init__(self, start: datetime) -> None:
        self.readings = 0
        self.start = start

    def __call__(self) -> datetime:
        self.readings += 1
        return self.start + timedelta(milliseconds=self.readings)


@dataclass
class Agent:
    app: FastAPI
    run_id: str
    channel: aio_pika.abc.AbstractChannel

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime


@pytest.fixture(scope="module")
async def agent() -> AsyncIterator[Agent]:
    run_id = new_run_id()
    settings = real_settings(AgentSettings, run_id, "agent")
    app = create_app(settings, clock=TickingClock(NOW))
    try:
        async with running(app):
            connection = await aio_pika.connect(amqp_url())
            async with connection:
                yield Agent(app, run_id, await connection.channel())
    finally:
        await cleanup_run(run_id)


def _message(
    user_id: str, text: str | None, *, message_type: str = "text", wa_id: str | None = None
) -> Envelope:
    wamid = f"wamid.{uuid.uuid4().hex}"
    event = MessageReceived(
        wamid=wamid,
        phone_number_id="1234567890",
        user_id=user_id,
        wa_id=wa_id,
        profile_name="Ana",
        message_type=message_type,
        text=text,
        sent_at=NOW,
        received_at=NOW,
    )
    return new_envelope(event, producer="gateway", event_id=deterministic_id("message.received", wamid))


async def _eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def _take(agent: Agent, queue: str, *, match: Callable[[Envelope], bool]) -> list[Envelope]:
    """Everything on the namespaced ``queue`` now; the ones that ``match`` are returned."""
    amqp_queue = await agent.channel.get_queue(f"{agent.run_id}.{queue}", ensure=False)
    found = []
    while (message := await amqp_queue.get(no_ack=True, fail=False)) is not None:
        envelope = Envelope.from_bytes(message.body)
        if match(envelope):
            found.append(envelope)
    return found


async def _reply_to(agent: Agent, sent: Envelope) -> Envelope:
    wamid = sent.payload["wamid"]

    async def arrived() -> list[Envelope]:
        return await _take(agent, "sender.replies", match=lambda e: e.payload["in_reply_to"] == wamid)

    replies: list[Envelope] = await _eventually(arrived)
    assert len(replies) == 1
    return replies[0]


async def _outbox_empty(agent: Agent) -> bool:
    async with agent.runtime.db.read() as session:
        return int((await session.execute(select(func.count()).select_from(outbox))).scalar_one()) == 0


async def _user_tasks(agent: Agent, user_id: str) -> list[Any]:
    async with agent.runtime.db.read() as session:
        return list((await session.execute(select(tasks).where(tasks.c.user_id == user_id))).all())


async def test_a_task_request_creates_the_task_and_confirms_it_once(agent: Agent) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    sent = _message(user, "Create a task to review the quarterly reports by Friday", wa_id="5511999990001")
    await agent.runtime.publish([sent])

    reply = await _reply_to(agent, sent)
    assert reply.type == "reply.requested"
    assert reply.id == deterministic_id("reply", sent.id) == reply.payload["reply_id"]
    assert reply.correlation_id == sent.correlation_id
    assert reply.payload["to"] == "5511999990001"
    assert reply.payload["phone_number_id"] == "1234567890"
    assert reply.payload["kind"] == "text"
    # The sender measures the reply-latency SLO from when the message reached the gateway.
    assert reply.payload["received_at"] == sent.payload["received_at"]
    assert reply.payload["content"]["preview_url"] is False
    body = reply.payload["content"]["body"]
    assert "review the quarterly reports" in body
    assert "Fri 27 Nov" in body

    [row] = await _user_tasks(agent, user)
    assert row.title == "review the quarterly reports"
    assert row.status == "open"
    assert row.priority == "normal"
    # A date-only deadline is stored as its calendar day (00:00 UTC), whatever the user's zone.
    assert row.due_at == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    assert row.due_has_time is False
    assert row.source_wamid == sent.payload["wamid"]

    # The same message again (a redelivery, or Meta's duplicate webhook) changes nothing.
    consumer = agent.runtime.consumers[0]
    duplicates = consumer.duplicates
    await agent.runtime.publish([sent])

    async def deduplicated() -> bool:
        return consumer.duplicates == duplicates + 1

    await _eventually(deduplicated)
    await _eventually(lambda: _outbox_empty(agent))
    assert await _take(agent, "sender.replies", match=lambda e: True) == []
    assert len(await _user_tasks(agent, user)) == 1


async def test_listing_shows_the_users_open_tasks_with_their_dates(agent: Agent) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    for text in ("Create a task to review the quarterly reports by Friday", "add a task: buy milk"):
        await agent.runtime.publish([created := _message(user, text, wa_id="5511999990002")])
        await _reply_to(agent, created)

    asked = _message(user, "What are my tasks?", wa_id="5511999990002")
    await agent.runtime.publish([asked])
    reply = await _reply_to(agent, asked)
    assert reply.payload["content"]["body"] == (
        "Your open tasks (2):\n1. *review the quarterly reports* — due Fri 27 Nov\n2. *buy milk*"
    )

    async with agent.runtime.db.read() as session:
        turns = await ConversationRepository(session).recent(user, limit=10)
    assert [(t.role, t.intent) for t in turns[-2:]] == [("user", "list_tasks"), ("assistant", "list_tasks")]
    assert turns[-1].text == reply.payload["content"]["body"]
    assert len(turns) == 6


async def test_task_created_and_agent_replied_are_published_for_analytics(agent: Agent) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    sent = _message(user, "create task call mom tomorrow at 3pm urgent", wa_id="5511999990003")
    await agent.runtime.publish([sent])
    await _reply_to(agent, sent)
    await _eventually(lambda: _outbox_empty(agent))

    async def published() -> list[Envelope]:
        found = await _take(
            agent,
            "analytics.events",
            match=lambda e: e.payload.get("user_id") == user and e.producer == "agent",
        )
        return found if len(found) == 3 else []

    by_type = {e.type: e for e in await _eventually(published)}
    created = by_type["task.created"].payload
    assert created["title"] == "call mom"
    assert created["priority"] == "high"
    # 3pm in Sao Paulo (the number's country) is 18:00 UTC.
    assert created["due_at"].startswith("2026-11-26T18:00:00")
    replied = by_type["agent.replied"].payload
    assert (replied["intent"], replied["engine"], replied["in_reply_to"]) == (
        "create_task",
        "rules",
        sent.payload["wamid"],
    )
    assert replied["processing_ms"] >= 0
    assert {e.causation_id for e in by_type.values()} == {sent.id}


async def test_non_text_messages_get_a_polite_answer_and_no_task(agent: Agent) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    sent = _message(user, None, message_type="image", wa_id="447700900004")
    await agent.runtime.publish([sent])
    reply = await _reply_to(agent, sent)
    assert "only read text" in reply.payload["content"]["body"]
    assert await _user_tasks(agent, user) == []


async def test_a_message_without_wa_id_is_dead_lettered(agent: Agent) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    sent = _message(user, "add task buy milk", wa_id=None)
    await agent.runtime.publish([sent])

    async def dead() -> list[Any]:
        # The agent captures its dead letters into its dead_letters table.
        assert agent.runtime.dead_letters is not None
        letters = await agent.runtime.dead_letters.find(queue=AGENT_INBOUND.name)
        return [d for d in letters if d.event_id == sent.id]

    [letter] = await _eventually(dead)
    assert "wa_id" in letter.reason
    assert await _user_tasks(agent, user) == []
