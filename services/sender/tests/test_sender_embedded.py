"""The embedded mode: the same sender on SQLite and the in-process transport."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select

from tasklane_common.messaging import deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import StatusReceived
from tasklane_common.messaging.memory import InMemoryBroker
from tasklane_common.messaging.topology import SENDER_REPLIES
from tasklane_common.testing import memory_settings, running
from tasklane_sender.app import create_app
from tasklane_sender.settings import SenderSettings
from tasklane_sender.tables import outbox
from tasklane_simulator.app import create_app as create_simulator
from tasklane_simulator.settings import SimulatorSettings


async def test_sends_and_tracks_on_sqlite(harness: Any, tmp_path: Path) -> None:
    holder: dict[str, FastAPI] = {}
    gateway = FastAPI()

    @gateway.post("/hook")
    async def hook(request: Request) -> Response:
        value = (await request.json())["entry"][0]["changes"][0]["value"]
        await harness.publish(
            holder["sender"],
            *[
                new_envelope(
                    StatusReceived(
                        wamid=s["id"],
                        status=s["status"],
                        phone_number_id="106540352242922",
                        recipient_id=s["recipient_id"],
                        status_at=datetime.now(UTC),
                    ),
                    producer="gateway",
                    event_id=deterministic_id("status", s["id"], s["status"]),
                )
                for s in value["statuses"]
            ],
        )
        return Response(status_code=200)

    name = f"sender-{uuid.uuid4().hex[:8]}"
    settings = memory_settings(
        SenderSettings,
        name,
        str(tmp_path / "sender.db"),
        graph_base_url="http://sim",
        access_token="sim-access-token",
        poll_interval_s=0.1,
    )
    hooks = httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway))
    sim_settings = SimulatorSettings(webhook_url="http://gateway/hook", status_delay_s=0.01)
    try:
        async with hooks, running(create_simulator(sim_settings, webhook_client=hooks)) as sim_app:
            graph = httpx.AsyncClient(transport=httpx.ASGITransport(app=sim_app), base_url="http://sim")
            async with graph, running(create_app(settings, graph_client=graph)) as app:
                holder["sender"] = app
                runtime = harness.runtime(app)
                first, second = harness.phone(), harness.phone()
                replies = [harness.reply(first, "one"), harness.reply(first, "two"), harness.reply(second)]
                bad = harness.reply("not a number")
                await harness.publish(app, *replies, bad)
                for reply in replies:
                    await harness.reaches(app, reply.payload["reply_id"], "read")
                await harness.settled(lambda: runtime.relay.published >= 9)  # sent, delivered, read x3
                async with runtime.db.read() as session:
                    unpublished = (
                        await session.execute(select(func.count()).select_from(outbox))
                    ).scalar_one()
                # The sender captures its dead letters into its dead_letters table.
                await harness.settled(lambda: runtime.dead_letters.captured >= 1)
                dead = await runtime.dead_letters.find(queue=SENDER_REPLIES.name)
                bodies = [m["body"]["text"]["body"] for m in sim_app.state.simulator.sent_messages(first)]
    finally:
        InMemoryBroker.forget(name)

    assert sorted(bodies) == ["one", "two"]
    assert unpublished == 0
    assert len(dead) == 1
    assert "not a phone number" in dead[0].reason
