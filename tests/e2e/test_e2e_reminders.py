"""Reminders with two agent replicas, the sender and the simulated Graph API, on the real clock:
each reminder reaches WhatsApp once, and a restart of every replica while some are pending loses
none (they go out late, once).

Reminders are proactive messages: the users have not written for a day, the simulator enforces
the 24-hour window, and the sender turns each reminder into the window template (Meta's 131047
answer to the text first). Tasks are created through the workspace, which plans their reminders
in the same transaction, as a conversation turn does.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasklane_agent.app import create_app as create_agent
from tasklane_agent.domain import Profile, Task
from tasklane_agent.reminders.planner import ReminderPlanner, reminder_id
from tasklane_agent.settings import AgentSettings, ReminderSettings
from tasklane_agent.storage.profiles import ProfileRepository
from tasklane_agent.storage.tables import reminders
from tasklane_agent.workspace import Workspace
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.testing import cleanup_run, new_run_id, real_settings, running
from tasklane_sender.app import create_app as create_sender
from tasklane_sender.settings import SenderSettings
from tasklane_simulator.app import create_app as create_simulator
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID
from tasklane_simulator.settings import SimulatorSettings
from tasklane_simulator.simulator import WhatsAppSimulator

pytestmark = pytest.mark.e2e

TOKEN = "reminders-access-token"
TEMPLATE = "tasklane_update"
# Lead reminders of deadlines seconds away are already past when planned: only "due" ones here
# (the planner's and worker's own tests cover the lead ones).
# Meta's pair rate (one message per 6 s to a user), scaled down so that a user's reminders a few
# tenths of a second apart are not held back for a minute.
PAIR_RATE: dict[str, Any] = {"pair_interval_s": 0.1, "pair_burst": 20}
REMINDERS = ReminderSettings(lead_minutes=1, poll_interval_s=0.2)


@dataclass
class Stack:
    run_id: str
    sim: WhatsAppSimulator
    settings: AgentSettings
    agents: list[FastAPI]

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.agents[0].state.runtime
        return runtime

    def accepted(self) -> Counter[str]:
        """Reply id -> how many times the simulated Meta accepted a message carrying it."""
        return Counter(
            str(a.biz_opaque_callback_data) for a in self.sim.attempts() if a.accepted and not a.is_read
        )

    def texts(self) -> dict[str, str]:
        """Reply id -> the text that went out (as the window template's parameter)."""
        found: dict[str, str] = {}
        for sent in self.sim.sent_messages():
            body = sent["body"]
            assert body["type"] == "template", body
            (parameter,) = body["template"]["components"][0]["parameters"]
            found[str(sent["biz_opaque_callback_data"])] = parameter["text"]
        return found


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    run_id = new_run_id()
    # No inbound message opens a window; statuses are not needed (and there is no gateway).
    sim_settings = SimulatorSettings(access_token=TOKEN, window="enforce", send_statuses=False, **PAIR_RATE)
    try:
        async with AsyncExitStack() as stack:
            sim_app = await stack.enter_async_context(running(create_simulator(sim_settings)))
            graph = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=sim_app), base_url="http://sim")
            )
            sender_settings = real_settings(
                SenderSettings,
                run_id,
                "sender",
                graph_base_url="http://sim",
                access_token=TOKEN,
                window_template_name=TEMPLATE,
                poll_interval_s=0.1,
                **PAIR_RATE,
            )
            await stack.enter_async_context(running(create_sender(sender_settings, graph_client=graph)))
            settings = real_settings(AgentSettings, run_id, "agent", reminders=REMINDERS)
            yield Stack(run_id, sim_app.state.simulator, settings, [])
    finally:
        await cleanup_run(run_id)


async def _meet(runtime: ServiceRuntime, address: str) -> Profile:
    async with runtime.db.transaction() as session:
        return await ProfileRepository(session).meet(
            user_id=f"u-{address}",
            org_id=DEFAULT_PHONE_NUMBER_ID,
            address=address,
            name=None,
            default_timezone="UTC",
            now=datetime.now(UTC),
        )


async def _create(runtime: ServiceRuntime, owner: Profile, title: str, in_s: float) -> Task:
    """A task due ``in_s`` seconds from now, created and planned in one transaction."""
    now = datetime.now(UTC)
    async with runtime.db.transaction() as session:
        ws = Workspace(
            session, owner, now=now, seed=uuid.uuid4().hex, planner=ReminderPlanner(session, REMINDERS)
        )
        return await ws.tasks.create_task(title, due_at=now + timedelta(seconds=in_s), due_has_time=True)


def _due_id(task: Task) -> str:
    assert task.due_at is not None
    return reminder_id(task.id, "due", task.due_at)


async def _until(check: Any, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not reached in time")
        await asyncio.sleep(0.1)


async def test_two_replicas_send_each_reminder_once_and_a_restart_loses_none(stack: Stack) -> None:
    english, spanish = "4915" + str(uuid.uuid4().int)[:9], "34600" + str(uuid.uuid4().int)[:6]
    async with AsyncExitStack() as first_run:
        for _ in range(2):
            stack.agents.append(await first_run.enter_async_context(running(create_agent(stack.settings))))
        started = list(stack.agents)
        ana, ines = await _meet(stack.runtime, english), await _meet(stack.runtime, spanish)
        assert (ana.lang, ines.lang) == ("en", "es")
        soon = [
            await _create(stack.runtime, who, f"Soon {n}", 2 + n * 0.3)
            for n, who in enumerate([ana, ines] * 3)
        ]
        # Due while every replica is down: they must go out late, after the restart.
        later = [
            await _create(stack.runtime, who, f"Later {n}", 8 + n * 0.3)
            for n, who in enumerate([ana, ines] * 3)
        ]
        await _until(lambda: all(stack.accepted()[_due_id(t)] for t in soon), timeout=10)
        # Both replicas stop (gracefully, as on a deploy) with the second batch pending.
    assert not any(stack.accepted()[_due_id(t)] for t in later)
    async with stack.runtime.db.read() as session:
        pending = (await session.execute(select(reminders.c.id).where(reminders.c.status == "pending"))).all()
    assert {r.id for r in pending} == {_due_id(t) for t in later}

    last_due = max(t.due_at for t in later if t.due_at is not None)
    await asyncio.sleep(max(0.0, (last_due - datetime.now(UTC)).total_seconds()) + 1)
    assert not any(stack.accepted()[_due_id(t)] for t in later)
    stack.agents.clear()
    async with AsyncExitStack() as second_run:
        for _ in range(2):
            stack.agents.append(await second_run.enter_async_context(running(create_agent(stack.settings))))
        started += stack.agents
        await _until(lambda: all(stack.accepted()[_due_id(t)] for t in later), timeout=10)
        await asyncio.sleep(1.0)  # a second copy would have come by now

    # Each fired by one replica of the four that ran (the sender's dedup did not hide a second).
    assert sum(agent.state.reminder_worker.sent for agent in started) == len(soon) + len(later)
    async with stack.runtime.db.read() as session:
        rows = {r.id: r for r in await session.execute(select(reminders))}
    assert {r.status for r in rows.values()} == {"sent"}
    for task in later:  # sent late, after the restart
        assert task.due_at is not None
        assert rows[_due_id(task)].sent_at > task.due_at + timedelta(seconds=1)
    accepted = stack.accepted()
    ids = {_due_id(t) for t in soon + later}
    assert set(accepted) == ids, "only the due reminders (the leads were past when planned)"
    assert set(accepted.values()) == {1}, "a reminder reached WhatsApp twice"
    assert stack.sim.duplicates() == []
    texts = stack.texts()
    for task in soon + later:
        assert task.user_id in (ana.user_id, ines.user_id)
        opening = "⏰ Reminder: " if task.user_id == ana.user_id else "⏰ Recordatorio: "
        assert texts[_due_id(task)].startswith(f"{opening}*{task.title}*"), texts[_due_id(task)]
    # Every reminder went to its owner, as the window template (the text was refused first).
    for sent in stack.sim.sent_messages():
        assert sent["to"] in (english, spanish)
    assert stack.sim.limit_rejections().get("131047", 0) >= len(ids)
