"""Meta's delivery statuses move a message forward, never back, and are reported once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from sqlalchemy import insert, select

from tasklane_common.messaging import deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import StatusReceived
from tasklane_common.testing import running
from tasklane_sender import tracking
from tasklane_sender.repository import OutboundRepository
from tasklane_sender.tables import message_statuses, outbound_messages
from tasklane_simulator.app import create_app as create_simulator
from tasklane_simulator.settings import SimulatorSettings

RE_ENGAGEMENT = {
    "code": 131047,
    "title": "Re-engagement message",
    "message": "Re-engagement message",
    "error_data": {"details": "More than 24 hours have passed since the recipient last replied."},
}


async def history(harness: Any, app: FastAPI, wamid: str) -> list[tuple[str, bool]]:
    async with harness.runtime(app).db.read() as session:
        rows = await session.execute(
            select(message_statuses.c.status, message_statuses.c.known)
            .where(message_statuses.c.wamid == wamid)
            .order_by(message_statuses.c.id)
        )
        return [(r.status, r.known) for r in rows]


async def sent_reply(harness: Any, app: FastAPI) -> tuple[str, str, str]:
    to = harness.phone()
    reply = harness.reply(to)
    await harness.publish(app, reply)
    message = await harness.reaches(app, reply.payload["reply_id"], "sent")
    return reply.payload["reply_id"], message.wamid, to


async def test_statuses_only_move_forward(harness: Any) -> None:
    async with harness.start() as app:
        reply_id, wamid, to = await sent_reply(harness, app)
        statuses = harness.runtime(app).consumers[1]
        await harness.publish(app, harness.status(wamid, "sent", to=to))
        await harness.settled(lambda: statuses.handled >= 1)
        await harness.publish(app, harness.status(wamid, "read", to=to))  # delivered skipped...
        await harness.reaches(app, reply_id, "read")
        # ...then arrives late, and Meta repeats the read.
        await harness.publish(
            app, harness.status(wamid, "delivered", to=to), harness.status(wamid, "read", to=to)
        )
        await harness.settled(lambda: statuses.handled + statuses.duplicates >= 4)
        tap = await harness.events()
        await tap.wait("message.read", reply_id)
        message = await harness.outbound(app, reply_id)
        recorded = await history(harness, app, wamid)

    assert message is not None
    assert message.status == "read"
    assert sorted(recorded) == [("delivered", True), ("read", True), ("sent", True)]
    # read implies delivered: each is reported exactly once, whatever order Meta used.
    assert len(await tap.matching("message.delivered", reply_id)) == 1
    assert len(await tap.matching("message.read", reply_id)) == 1
    assert len(await tap.matching("message.sent", reply_id)) == 1


async def test_meta_failed_status_fails_the_message_with_its_errors(harness: Any) -> None:
    async with harness.start() as app:
        reply_id, wamid, to = await sent_reply(harness, app)
        await harness.publish(app, harness.status(wamid, "failed", to=to, errors=[RE_ENGAGEMENT]))
        message = await harness.reaches(app, reply_id, "failed")
        event = await (await harness.events()).wait("message.failed", reply_id)
        await harness.publish(app, harness.status(wamid, "delivered", to=to))
        await harness.settled(lambda: harness.runtime(app).consumers[1].handled >= 2)
        after = await harness.outbound(app, reply_id)

    assert message.error_code == 131047
    assert message.last_error is not None
    assert "24 hours" in message.last_error
    assert event.payload["error_code"] == 131047
    assert event.payload["errors"] == [RE_ENGAGEMENT]
    assert after is not None
    assert after.status == "failed"


async def test_a_failed_status_after_delivery_is_only_recorded(harness: Any) -> None:
    async with harness.start() as app:
        reply_id, wamid, to = await sent_reply(harness, app)
        await harness.publish(app, harness.status(wamid, "delivered", to=to))
        await harness.reaches(app, reply_id, "delivered")
        await harness.publish(app, harness.status(wamid, "failed", to=to, errors=[RE_ENGAGEMENT]))
        await harness.settled(lambda: harness.runtime(app).consumers[1].handled >= 2)
        message = await harness.outbound(app, reply_id)
        recorded = await history(harness, app, wamid)
        failed = await (await harness.events()).matching("message.failed", reply_id)

    assert message is not None
    assert message.status == "delivered"
    assert recorded == [("delivered", True), ("failed", True)]
    assert failed == []


async def test_a_status_that_overtakes_the_send_is_reconciled(harness: Any) -> None:
    """Meta's 'read' is recorded before the sender has stored the wamid; storing it applies it."""
    wamid = f"wamid.early-{harness.phone()}"
    to = harness.phone()
    now = datetime.now(UTC)
    async with harness.start() as app:
        runtime = harness.runtime(app)
        await harness.publish(app, harness.status(wamid, "read", to=to))
        await harness.settled(lambda: runtime.consumers[1].handled >= 1)
        assert await history(harness, app, wamid) == [("read", False)]

        reply_id = f"early-{to}"
        async with runtime.db.transaction() as session:
            await session.execute(
                insert(outbound_messages).values(
                    reply_id=reply_id,
                    correlation_id="conv-early",
                    causation_id=None,
                    user_id="u-1",
                    phone_number_id="106540352242922",
                    to=to,
                    kind="text",
                    content={"body": "hi"},
                    status="sending",
                    attempts=1,
                    # Leased well into the future: the test, not the dispatcher, settles it.
                    next_attempt_at=now + timedelta(hours=1),
                    lease_until=now + timedelta(hours=1),
                    created_at=now,
                    updated_at=now,
                )
            )
        async with runtime.db.transaction() as session:
            repo = OutboundRepository(session)
            claimed = await repo.get(reply_id)
            assert claimed is not None
            await repo.lock_wamid(wamid)
            stored = await repo.mark_sent(claimed, wamid=wamid, now=now)
            assert stored is not None
            await tracking.reconcile(session, runtime.outbox, stored, now=now)
        runtime.relay.notify()
        message = await harness.outbound(app, reply_id)
        tap = await harness.events()
        await tap.wait("message.read", reply_id)
        recorded = await history(harness, app, wamid)

    assert message is not None
    assert message.status == "read"
    assert recorded == [("read", True)]
    assert len(await tap.matching("message.delivered", reply_id)) == 1


async def test_statuses_from_the_simulator_end_read_whatever_the_race(harness: Any) -> None:
    """Full loop: the simulator posts signed statuses right after accepting; a stand-in gateway
    publishes them while the sender may still be committing 'sent'."""
    holder: dict[str, FastAPI] = {}
    gateway = FastAPI()

    @gateway.post("/hook")
    async def hook(request: Request) -> Response:
        value = (await request.json())["entry"][0]["changes"][0]["value"]
        envelopes = [
            new_envelope(
                StatusReceived(
                    wamid=s["id"],
                    status=s["status"],
                    phone_number_id=value["metadata"]["phone_number_id"],
                    recipient_id=s["recipient_id"],
                    status_at=datetime.fromtimestamp(int(s["timestamp"]), UTC),
                ),
                producer="gateway",
                event_id=deterministic_id("status", s["id"], s["status"]),
            )
            for s in value["statuses"]
        ]
        await harness.publish(holder["sender"], *envelopes)
        return Response(status_code=200)

    hooks = httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway))
    settings = SimulatorSettings(webhook_url="http://gateway/hook", status_delay_s=0.0)
    sim_app = create_simulator(settings, webhook_client=hooks)
    async with hooks, running(sim_app), harness.start(graph_app=sim_app) as app:
        holder["sender"] = app
        to = harness.phone()
        reply = harness.reply(to)
        await harness.publish(app, reply)
        message = await harness.reaches(app, reply.payload["reply_id"], "read")
        tap = await harness.events()
        await tap.wait("message.read", reply.payload["reply_id"])
        delivered = await tap.matching("message.delivered", reply.payload["reply_id"])

    assert message.wamid == sim_app.state.simulator.sent_messages(to)[0]["wamid"]
    assert len(delivered) == 1
