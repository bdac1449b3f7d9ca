"""The assistant through all four services: questions asked with WhatsApp buttons and lists, the
user's taps coming back as interactive webhooks, teammates told on their own chat.

Same in-process stack as the walking skeleton (real RabbitMQ and PostgreSQL, the simulator as
Meta), so the agent's interactive bodies must pass the sender's checks and the simulator's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tasklane_agent.storage.tables import tasks
from tasklane_common.testing import cleanup_run, new_run_id
from tasklane_simulator.inbound import button_reply, list_reply, messages_webhook
from tasklane_simulator.inbound.messages import User
from tasklane_stack.embedded import EmbeddedStack, in_process_stack
from tests.e2e.test_e2e_walking_skeleton import _real

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday


def _settings(run_id: str) -> Callable[[str], dict[str, Any]]:
    common = _real(run_id)

    def settings_for(service: str) -> dict[str, Any]:
        # A conversation sends a user several messages in a row: Meta's pair rate (one per 6 s
        # after a burst of 3) is kept, scaled down, so the test does not wait on it.
        return common(service) | ({"pair_interval_s": 0.1} if service == "sender" else {})

    return settings_for


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[EmbeddedStack]:
    run_id = new_run_id()
    try:
        async with in_process_stack(_settings(run_id), clock=lambda: NOW) as s:
            yield s
    finally:
        await cleanup_run(run_id)


def _interactive(message: dict[str, Any]) -> dict[str, Any]:
    body = message["body"]
    assert body["type"] == "interactive", body
    return dict(body["interactive"])


async def _tap(stack: EmbeddedStack, user: User, asked: dict[str, Any], title: str) -> list[str]:
    """Tap the button or list row titled ``title`` of the interactive message ``asked``."""
    interactive = _interactive(asked)
    before = len(stack.simulator.sent_messages(to=user.wa_id))
    if interactive["type"] == "button":
        [reply] = [b["reply"] for b in interactive["action"]["buttons"] if b["reply"]["title"] == title]
        tapped = button_reply(user, reply["id"], title, replying_to=asked["wamid"])
    else:
        rows = [r for s in interactive["action"]["sections"] for r in s["rows"]]
        [row] = [r for r in rows if r["title"] == title]
        tapped = list_reply(user, row["id"], title, replying_to=asked["wamid"])
    assert await stack.simulator.inject_webhook(messages_webhook(tapped)) == 200
    assert user.wa_id is not None
    sent = await stack.simulator.wait_for_message(user.wa_id, count=before + 1, timeout=15)
    return [str(m["body"].get("text", {}).get("body", "")) for m in sent[before:]]


async def _titles(stack: EmbeddedStack) -> set[str]:
    """Titles of the tasks not deleted (each test's users are its own)."""
    async with stack.apps["agent"].state.runtime.db.read() as session:
        rows = await session.execute(select(tasks.c.title).where(tasks.c.deleted_at.is_(None)))
        return {r for (r,) in rows}


async def test_delete_is_confirmed_with_buttons_and_a_choice_with_a_list(stack: EmbeddedStack) -> None:
    ana = User(wa_id="447700900777", name="Ana")
    for text in ("add task send the slides to Bob", "add task send the invoice", "add task send the report"):
        await stack.chat(text, from_=str(ana.wa_id), name="Ana")

    # Four "send" tasks match: a list to choose from, nothing deleted yet.
    await stack.chat("add task send the contract", from_=str(ana.wa_id), name="Ana")
    await stack.chat("delete the send task", from_=str(ana.wa_id), name="Ana")
    asked = stack.simulator.sent_messages(to=str(ana.wa_id))[-1]
    assert _interactive(asked)["type"] == "list"
    assert {"send the invoice", "send the report"} <= await _titles(stack)

    # Picking a row asks Yes/No (buttons); "Yes" deletes that one task only.
    await _tap(stack, ana, asked, "send the invoice")
    confirm = stack.simulator.sent_messages(to=str(ana.wa_id))[-1]
    assert [b["reply"]["title"] for b in _interactive(confirm)["action"]["buttons"]] == ["Yes", "No"]
    answer = await _tap(stack, ana, confirm, "Yes")
    assert "Deleted *send the invoice*" in answer[0]
    left = await _titles(stack)
    assert "send the invoice" not in left
    assert {"send the report", "send the contract", "send the slides to Bob"} <= left


async def test_a_teammate_is_told_on_their_own_chat(stack: EmbeddedStack) -> None:
    ben = User(wa_id="447700900778", name="Ben")
    await stack.chat("hi", from_=str(ben.wa_id), name="Ben")
    # Writing to the same number makes nobody a teammate: Cleo invites Ben, Ben taps Join.
    await stack.chat("invite +44 7700 900778", from_="447700900779", name="Cleo")
    asked = (await stack.simulator.wait_for_message(str(ben.wa_id), count=2, timeout=15))[-1]
    assert "in the team" in (await _tap(stack, ben, asked, "Join"))[0]
    joined = await stack.simulator.wait_for_message("447700900779", count=2, timeout=15)
    assert "Ben joined your team" in str(joined[-1]["body"])
    replies = await stack.chat("ask Ben to prepare the slides by Monday", from_="447700900779", name="Cleo")
    assert "prepare the slides" in replies[0]
    told = await stack.simulator.wait_for_message(str(ben.wa_id), count=4, timeout=15)
    notice = told[-1]["body"]["text"]["body"]
    assert "Cleo" in notice
    assert "prepare the slides" in notice
    assert "Mon 30 Nov" in notice
