"""Issue 16 on the real RabbitMQ and PostgreSQL: a ✅ reaction to a reply about one task completes
it, with one confirmation; every other reaction gets no reply and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tasklane_agent.app import create_app
from tasklane_agent.domain import ConversationState
from tasklane_agent.reactions import means_done, subject_of
from tasklane_agent.reminders.worker import ReminderWorker
from tasklane_agent.settings import AgentSettings
from tasklane_agent.storage.tables import inbox, outbox, reply_tasks, tasks
from tasklane_agent.workspace import Effects
from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.contracts.sender import MessageSent
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.testing import amqp_url, cleanup_run, eventually, new_run_id, real_settings, running

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday
NUMBER = "1234567890"


@dataclass
class Agent:
    app: FastAPI
    run_id: str
    channel: aio_pika.abc.AbstractChannel
    settings: AgentSettings

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime


@pytest.fixture(scope="module")
async def agent() -> AsyncIterator[Agent]:
    run_id = new_run_id()
    settings = real_settings(AgentSettings, run_id, "agent")
    # The clock stays at NOW: the app's reminder worker fires nothing planned later.
    app = create_app(settings, clock=lambda: NOW)
    try:
        async with running(app):
            connection = await aio_pika.connect(amqp_url())
            async with connection:
                yield Agent(app, run_id, await connection.channel(), settings)
    finally:
        await cleanup_run(run_id)


def _inbound(user: str, wa_id: str, **fields: Any) -> Envelope:
    wamid = f"wamid.{uuid.uuid4().hex}"
    event = MessageReceived(
        wamid=wamid,
        phone_number_id=NUMBER,
        user_id=user,
        wa_id=wa_id,
        profile_name="Ana",
        sent_at=NOW,
        received_at=NOW,
        **fields,
    )
    return new_envelope(event, producer="gateway", event_id=deterministic_id("message.received", wamid))


def _text(user: str, wa_id: str, text: str) -> Envelope:
    return _inbound(user, wa_id, message_type="text", text=text)


def _reaction(user: str, wa_id: str, to_wamid: str, emoji: str | None) -> Envelope:
    reaction = {"message_id": to_wamid, "emoji": emoji, "removed": emoji is None}
    return _inbound(user, wa_id, message_type="reaction", reaction=reaction)


async def _take(agent: Agent, queue: str, *, match: Callable[[Envelope], bool]) -> list[Envelope]:
    amqp_queue = await agent.channel.get_queue(f"{agent.run_id}.{queue}", ensure=False)
    found = []
    while (message := await amqp_queue.get(no_ack=True, fail=False)) is not None:
        envelope = Envelope.from_bytes(message.body)
        if match(envelope):
            found.append(envelope)
    return found


async def _handled(agent: Agent, sent: Envelope) -> list[Envelope]:
    """Once the agent handled ``sent`` (its inbox row is committed, with what it wrote) and the
    relay published it: the replies to it."""

    async def done() -> bool:
        async with agent.runtime.db.read() as session:
            claim = select(inbox.c.event_id).where(inbox.c.event_id == sent.id)
            claimed = (await session.execute(claim)).first()
            left = (await session.execute(select(func.count()).select_from(outbox))).scalar_one()
        return claimed is not None and left == 0

    await eventually(done)
    wamid = sent.payload["wamid"]
    return await _take(agent, "sender.replies", match=lambda e: e.payload.get("in_reply_to") == wamid)


async def _reply(agent: Agent, sent: Envelope) -> Envelope:
    await agent.runtime.publish([sent])
    [reply] = await _handled(agent, sent)
    return reply


async def _publish(agent: Agent, envelope: Envelope) -> Envelope:
    await agent.runtime.publish([envelope])
    return envelope


async def _sent(agent: Agent, reply: Envelope, wamid: str | None = None) -> str:
    """The sender's ``message.sent`` for ``reply``; the wamid WhatsApp gave it once recorded."""
    reply_id = reply.payload["reply_id"]
    wamid = wamid or f"wamid.out.{uuid.uuid4().hex}"
    to = reply.payload["to"]
    event = MessageSent(reply_id=reply_id, wamid=wamid, phone_number_id=NUMBER, to=to, at=NOW)
    await agent.runtime.publish(
        [new_envelope(event, producer="sender", event_id=deterministic_id("message.sent", reply_id))]
    )

    async def consumed() -> bool:
        async with agent.runtime.db.read() as session:
            found = await session.execute(
                select(inbox.c.event_id).where(inbox.c.event_id == deterministic_id("message.sent", reply_id))
            )
            return found.first() is not None

    await eventually(consumed)
    return wamid


async def _status(agent: Agent, user: str) -> dict[str, str]:
    async with agent.runtime.db.read() as session:
        query = select(tasks.c.title, tasks.c.status).where(tasks.c.user_id == user)
        rows = (await session.execute(query)).all()
    return {r.title: r.status for r in rows}


def _user(country: str = "55119") -> tuple[str, str]:
    digits = str(uuid.uuid4().int)[:8]
    return f"user-{digits}", f"{country}{digits}"


async def test_a_check_mark_on_a_reply_about_a_task_completes_it_with_one_confirmation(agent: Agent) -> None:
    user, wa_id = _user()
    created = await _reply(agent, _text(user, wa_id, "add task buy milk"))
    wamid = await _sent(agent, created)
    async with agent.runtime.db.read() as session:
        [row] = (await session.execute(select(reply_tasks).where(reply_tasks.c.user_id == user))).all()
    assert (row.reply_id, row.wamid) == (created.payload["reply_id"], wamid)

    reacted = _reaction(user, wa_id, wamid, "✅")
    confirmation = await _reply(agent, reacted)
    assert confirmation.payload["content"]["body"] == "✅ Marked done: *buy milk*"
    assert confirmation.payload["to"] == wa_id
    assert await _status(agent, user) == {"buy milk": "done"}
    completed = await _take(
        agent, "analytics.events", match=lambda e: e.type == "task.completed" and e.payload["user_id"] == user
    )
    assert len(completed) == 1

    # The same reaction again (a redelivery, Meta's duplicate webhook): one completion, one reply.
    consumer = agent.runtime.consumers[0]
    duplicates = consumer.duplicates
    await agent.runtime.publish([reacted])

    async def deduplicated() -> bool:
        return consumer.duplicates == duplicates + 1

    await eventually(deduplicated)
    assert await _take(agent, "sender.replies", match=lambda e: True) == []
    # A second ✅ (its own wamid) on the same message: the task is done already, nothing to say.
    assert await _handled(agent, await _publish(agent, _reaction(user, wa_id, wamid, "👍🏽"))) == []

    # "undo" puts it back, as after a typed "done".
    undone = await _reply(agent, _text(user, wa_id, "undo"))
    assert "Undone" in undone.payload["content"]["body"]
    assert await _status(agent, user) == {"buy milk": "open"}


async def test_a_thumbs_up_in_spanish_is_confirmed_in_spanish(agent: Agent) -> None:
    user, wa_id = _user("34600")
    created = await _reply(agent, _text(user, wa_id, "crea una tarea comprar pan"))
    wamid = await _sent(agent, created)
    confirmation = await _reply(agent, _reaction(user, wa_id, wamid, "👍🏾"))
    assert confirmation.payload["content"]["body"] == "✅ Marcada como hecha: *comprar pan*"
    assert await _status(agent, user) == {"comprar pan": "done"}


async def test_other_reactions_get_no_reply_and_change_nothing(agent: Agent) -> None:
    user, wa_id = _user()
    created = await _reply(agent, _text(user, wa_id, "add task call the bank"))
    wamid = await _sent(agent, created)
    stranger, stranger_wa = _user()
    # The stranger must exist and see nothing of the user's.
    await _reply(agent, _text(stranger, stranger_wa, "hello"))

    ignored = [
        _reaction(user, wa_id, wamid, "😮"),  # not a done-emoji
        _reaction(user, wa_id, wamid, None),  # a reaction taken back
        _reaction(stranger, stranger_wa, wamid, "✅"),  # another user's message
        _reaction(user, wa_id, "wamid.unknown", "✅"),  # a message we know nothing of
    ]
    for reaction in ignored:
        assert await _handled(agent, await _publish(agent, reaction)) == [], reaction.payload["reaction"]
    assert await _status(agent, user) == {"call the bank": "open"}
    assert await _status(agent, stranger) == {}


async def test_a_reaction_to_a_question_or_about_a_task_deleted_since_changes_nothing(agent: Agent) -> None:
    user, wa_id = _user()
    created = await _reply(agent, _text(user, wa_id, "add task renew the passport"))
    created_wamid = await _sent(agent, created)
    question = await _reply(agent, _text(user, wa_id, "delete renew the passport"))
    assert question.payload["kind"] == "interactive"  # "Delete *renew the passport*?" Yes / No
    question_wamid = await _sent(agent, question)
    assert await _handled(agent, await _publish(agent, _reaction(user, wa_id, question_wamid, "✅"))) == []
    assert await _status(agent, user) == {"renew the passport": "open"}

    assert "Deleted" in (await _reply(agent, _text(user, wa_id, "yes"))).payload["content"]["body"]
    # Deleted: the task is gone for the user, and a ✅ on the earlier confirmation finds nothing.
    assert await _handled(agent, await _publish(agent, _reaction(user, wa_id, created_wamid, "✅"))) == []
    async with agent.runtime.db.read() as session:
        [row] = (await session.execute(select(tasks).where(tasks.c.user_id == user))).all()
    assert (row.status, row.deleted_at is not None) == ("open", True)


async def test_a_reaction_to_a_reply_about_no_single_task_is_ignored(agent: Agent) -> None:
    user, wa_id = _user()
    for text in ("add task water the plants", "add task pay rent"):
        await _reply(agent, _text(user, wa_id, text))
    listed = await _reply(agent, _text(user, wa_id, "what are my tasks?"))
    assert "pay rent" in listed.payload["content"]["body"]
    wamid = await _sent(agent, listed)
    assert await _handled(agent, await _publish(agent, _reaction(user, wa_id, wamid, "✅"))) == []
    assert await _status(agent, user) == {"water the plants": "open", "pay rent": "open"}


async def test_a_reaction_before_the_sender_reported_the_reply_finds_nothing(agent: Agent) -> None:
    user, wa_id = _user()
    created = await _reply(agent, _text(user, wa_id, "add task fix the bike"))
    wamid = f"wamid.out.{uuid.uuid4().hex}"  # WhatsApp gave it, but no message.sent arrived yet
    assert await _handled(agent, await _publish(agent, _reaction(user, wa_id, wamid, "✅"))) == []
    assert await _status(agent, user) == {"fix the bike": "open"}
    # Once the sender reported it, a reaction to it (a new one: the early one is not kept) counts.
    await _sent(agent, created, wamid)
    assert len(await _handled(agent, await _publish(agent, _reaction(user, wa_id, wamid, "✅")))) == 1
    assert await _status(agent, user) == {"fix the bike": "done"}


async def test_a_check_mark_on_a_reminder_completes_its_task(agent: Agent) -> None:
    user, wa_id = _user()
    await _reply(agent, _text(user, wa_id, "add task call mom today at 3pm"))
    runtime = agent.runtime
    assert runtime.outbox is not None
    later = NOW + timedelta(hours=10)  # past 15:00 in Sao Paulo: the "due" reminder fires
    worker = ReminderWorker(runtime.db, runtime.outbox, agent.settings.reminders, clock=lambda: later)
    assert await worker.fire_due() >= 1

    async def reminded() -> list[Envelope]:
        return await _take(agent, "sender.replies", match=lambda e: e.payload["user_id"] == user)

    [reminder] = await eventually(reminded)
    assert reminder.payload["reminder"] == "due"
    wamid = await _sent(agent, reminder)
    confirmation = await _reply(agent, _reaction(user, wa_id, wamid, "✔️"))
    assert confirmation.payload["content"]["body"] == "✅ Marked done: *call mom*"
    assert await _status(agent, user) == {"call mom": "done"}


def test_done_emoji_with_and_without_their_variation_and_skin_tone() -> None:
    for emoji in ("✅", "👍", "👍🏻", "👍🏿", "✔️", "✔", "☑️", "👌", "🙌", "💪", "💪🏽"):
        assert means_done(emoji), emoji
    for other in ("😮", "❤️", "👎", "", None, "✅✅"):
        assert not means_done(other), other


def test_a_reply_is_about_one_task_only_when_it_changed_or_showed_exactly_one() -> None:
    state = ConversationState("u", focus=["a"])
    assert subject_of([], state, Effects(before={"a": None})) == "a"
    # Completing a repeating task makes the next one too: two tasks, none meant.
    assert subject_of([], state, Effects(before={"a": {}, "b": None})) is None
    # Shown this turn (the focus moved to it), or left over from an earlier turn.
    assert subject_of([], state, Effects()) == "a"
    assert subject_of(["a"], state, Effects()) is None
    # A question ("Delete *a*?") is answered with its buttons, not with a reaction.
    asking = ConversationState("u", focus=["a"], pending={"kind": "confirm"})
    assert subject_of([], asking, Effects(before={"a": None})) is None
