"""The agent in the embedded mode (in-process transport, SQLite), for a user in Sao Paulo."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tasklane_agent.app import create_app
from tasklane_agent.settings import AgentSettings
from tasklane_agent.storage.tables import tasks
from tasklane_common.messaging import Delivery, Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_common.messaging.memory import InMemoryBroker
from tasklane_common.messaging.topology import SENDER_REPLIES
from tasklane_common.runtime import ServiceRuntime
from tasklane_common.testing import memory_settings, running

# Wednesday 25 Nov, 22:00 in Sao Paulo: already Thursday in UTC.
NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


def _message(text: str) -> Envelope:
    wamid = f"wamid.{uuid.uuid4().hex}"
    event = MessageReceived(
        wamid=wamid,
        phone_number_id="1234567890",
        user_id="user-sp",
        wa_id="5511988887777",
        message_type="text",
        text=text,
        sent_at=NOW,
        received_at=NOW,
    )
    return new_envelope(event, producer="gateway", event_id=deterministic_id("message.received", wamid))


async def test_dates_are_understood_and_shown_in_the_configured_timezone(tmp_path: Path) -> None:
    name = f"agent-{uuid.uuid4().hex}"
    settings = memory_settings(
        AgentSettings, name, str(tmp_path / "agent.db"), default_timezone="America/Sao_Paulo"
    )
    app = create_app(settings, clock=lambda: NOW)
    replies: asyncio.Queue[Envelope] = asyncio.Queue()

    async def collect(delivery: Delivery) -> None:
        await replies.put(Envelope.from_bytes(delivery.body))
        await delivery.ack()

    try:
        async with running(app):
            runtime: ServiceRuntime = app.state.runtime
            await InMemoryBroker.named(settings.broker).consume(SENDER_REPLIES, collect)
            sent = _message("create task call mom tomorrow at 3pm")
            await runtime.publish([sent])
            reply = await asyncio.wait_for(replies.get(), timeout=10)
            assert reply.payload["content"]["body"].startswith(
                "✅ Task created: *call mom* — due Thu 26 Nov, 15:00"
            )

            listed = _message("my tasks")
            await runtime.publish([listed])
            reply = await asyncio.wait_for(replies.get(), timeout=10)
            listing = reply.payload["content"]["body"]
            assert listing == "Your open tasks (1):\n1. *call mom* — due Thu 26 Nov, 15:00"

            async with runtime.db.read() as session:
                [row] = (await session.execute(select(tasks))).all()
            assert row.due_has_time is True
            # Stored in UTC (SQLite returns it without a zone).
            assert row.due_at.replace(tzinfo=UTC) == datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
    finally:
        InMemoryBroker.forget(name)


def test_an_unknown_timezone_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="unknown IANA timezone"):
        AgentSettings(default_timezone="Mars/Olympus_Mons")
