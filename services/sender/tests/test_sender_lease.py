"""A message is never sent after its lease may have run out: another replica could claim it then
and send it again. Here the Graph API is slow and the lease short."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI

from tasklane_common.testing import running
from tasklane_sender.repository import OutboundMessage
from tasklane_simulator.app import create_app as create_simulator
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID
from tasklane_simulator.settings import SimulatorSettings


@pytest.fixture
async def sim_app() -> AsyncIterator[FastAPI]:
    """A Graph API that takes 0.3 s for every /messages answer."""
    async with running(create_simulator(SimulatorSettings(send_statuses=False, response_delay_s=0.3))) as app:
        yield app


async def test_a_slow_graph_api_and_a_short_lease_send_nothing_twice(harness: Any) -> None:
    # Before the fix one replica claimed all 40 behind 2 Graph API slots: 6 s of calls against a
    # 3 s lease, and the other replica took the expired ones and sent them again.
    replies = [harness.reply(harness.phone(), f"message {i}") for i in range(40)]
    overrides = {
        "lease_s": 3.0,
        "request_timeout_s": 1.0,
        "graph_concurrency": 2,
        "dispatch_batch": 100,
        "poll_interval_s": 0.05,
    }
    async with harness.start(**overrides) as one, harness.start(**overrides) as two:
        await harness.publish(one, *replies)
        for reply in replies:
            await harness.reaches(one, reply.payload["reply_id"], "sent", timeout=30)
        sent_by = [one.state.dispatcher.sent, two.state.dispatcher.sent]

    assert harness.sim.duplicates() == []
    assert sum(sent_by) == len(replies)


async def test_no_call_is_made_when_the_lease_would_expire_during_it(harness: Any) -> None:
    to = harness.phone()
    message = OutboundMessage(
        reply_id="r-lease",
        correlation_id="c",
        causation_id=None,
        user_id="u",
        phone_number_id=DEFAULT_PHONE_NUMBER_ID,
        to=to,
        kind="text",
        content={"body": "late"},
        status="sending",
        wamid=None,
        attempts=1,
        last_error=None,
        error_code=None,
        created_at=datetime.now(UTC),
        sent_at=None,
    )
    async with harness.start(lease_s=30.0, request_timeout_s=1.0) as app:
        graph = app.state.dispatcher.graph
        # Lease ends in 1.5 s: a call of up to 1 s plus the margin may outlast it.
        outcome = await graph.send(message, deadline=asyncio.get_running_loop().time() + 1.5)
        # With room to spare, the call goes.
        sent = await graph.send(message, deadline=asyncio.get_running_loop().time() + 30)

    assert outcome.verdict == "blocked"
    assert outcome.retry_at is not None
    assert outcome.retry_at <= datetime.now(UTC)
    assert sent.verdict == "sent"
    assert len(harness.sim.sent_messages(to)) == 1
