"""Users Meta knows only by a business-scoped user id (BSUID, "US.13491208655302741918"): their
replies are queued, sent with ``recipient`` instead of ``to``, paced, and settled by statuses that
name the BSUID in ``recipient_user_id`` only; their inbound messages open the window the sender
then consults for them; anything that is neither a phone number nor a BSUID is still refused.

The full loops run the simulator's webhooks through the gateway's own parser and event builders,
so what the sender gets is what the gateway would publish."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from sqlalchemy import select

from tasklane_common.messaging.topology import SENDER_REPLIES
from tasklane_common.testing import running
from tasklane_gateway.events import message_envelope, status_envelope
from tasklane_gateway.webhook import parse
from tasklane_sender.tables import outbound_messages, recipient_pacing, windows
from tasklane_simulator import inbound
from tasklane_simulator.app import create_app as create_simulator
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID
from tasklane_simulator.settings import SimulatorSettings
from tasklane_simulator.simulator import WhatsAppSimulator

TEMPLATE = {"window_template_name": "tasklane_reply", "window_template_language": "en_US"}


def new_bsuid(width: int = 20) -> str:
    """A fresh BSUID; ``width`` up to Meta's 128 characters after the country."""
    return "US." + (uuid.uuid4().hex * 4)[:width].upper()


def hides_number(bsuid: str) -> inbound.User:
    """A user with a username: Meta's webhooks carry their BSUID and no phone number."""
    return inbound.User(wa_id=None, name="Kai", bsuid=bsuid, username="kai.builds")


class Loop:
    """The simulator posting its webhooks to a stand-in gateway that parses them with the
    gateway's parser and publishes the gateway's events to the sender under test."""

    def __init__(self, harness: Any, sim_app: FastAPI) -> None:
        self.harness = harness
        self.sim_app = sim_app
        self.sim: WhatsAppSimulator = sim_app.state.simulator
        self.sender: FastAPI | None = None

    async def deliver(self, payload: dict[str, Any]) -> None:
        assert self.sender is not None
        now = datetime.now(UTC)
        parsed = parse(payload, received_at=now)
        envelopes = [status_envelope(s, now) for s in parsed.statuses]
        envelopes += [message_envelope(m, f"u-{m.sender}", now) for m in parsed.messages]
        await self.harness.publish(self.sender, *envelopes)


@asynccontextmanager
async def loop(harness: Any, *, sim: dict[str, Any] | None = None, **sender: Any) -> AsyncIterator[Loop]:
    gateway = FastAPI()
    holder: list[Loop] = []

    @gateway.post("/hook")
    async def hook(request: Request) -> Response:
        await holder[0].deliver(await request.json())
        return Response(status_code=200)

    hooks = httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway))
    settings = SimulatorSettings(webhook_url="http://gateway/hook", status_delay_s=0.0, **(sim or {}))
    sim_app = create_simulator(settings, webhook_client=hooks)
    async with hooks, running(sim_app), harness.start(graph_app=sim_app, **sender) as app:
        holder.append(Loop(harness, sim_app))
        holder[0].sender = app
        yield holder[0]


async def window_rows(harness: Any, app: FastAPI) -> dict[str, datetime]:
    async with harness.runtime(app).db.read() as session:
        rows = await session.execute(
            select(windows.c.wa_id, windows.c.last_inbound_at).where(
                windows.c.phone_number_id == DEFAULT_PHONE_NUMBER_ID
            )
        )
        return {r.wa_id: r.last_inbound_at for r in rows}


async def test_a_user_known_only_by_bsuid_gets_the_reply_and_it_settles_by_its_statuses(
    harness: Any,
) -> None:
    # As long as Meta allows (128 characters after the country): the columns hold it whole.
    bsuid = new_bsuid(128)
    async with loop(harness, sim={"window": "enforce"}) as lp:
        assert lp.sender is not None
        app = lp.sender
        # The user writes (the simulator opens Meta's window; the sender opens its own).
        await lp.sim.inject_webhook(inbound.messages_webhook(inbound.text(hides_number(bsuid), "hi")))
        reply = harness.reply(bsuid, "Task added: buy milk")
        reply_id = reply.payload["reply_id"]
        await harness.publish(app, reply)
        message = await harness.reaches(app, reply_id, "read")
        tap = await harness.events()
        read = await tap.wait("message.read", reply_id)
        delivered = await tap.matching("message.delivered", reply_id)
        opened = await window_rows(harness, app)
        await lp.sim.wait_idle()

    [sent] = lp.sim.sent_messages(bsuid)
    assert sent["body"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "recipient": bsuid,
        "type": "text",
        "text": {"body": "Task added: buy milk"},
        "biz_opaque_callback_data": reply_id,
    }
    assert message.to == bsuid
    assert message.wamid == sent["wamid"]
    assert len(delivered) == 1
    assert read.payload["to"] == bsuid
    assert bsuid in opened
    # The inbound message got its blue ticks; Meta's window was open for the reply.
    receipts = [a for a in lp.sim.attempts() if a.is_read]
    assert [a.outcome for a in receipts] == ["accepted"]
    assert lp.sim.limit_rejections() == {}


async def test_the_window_of_a_bsuid_user_is_the_one_their_replies_consult(harness: Any) -> None:
    bsuid = new_bsuid()
    user = hides_number(bsuid)
    long_ago = int((datetime.now(UTC) - timedelta(hours=25)).timestamp())
    async with loop(harness, **TEMPLATE) as lp:
        assert lp.sender is not None
        app = lp.sender
        await lp.sim.inject_webhook(inbound.messages_webhook(inbound.text(user, "hi", timestamp=long_ago)))

        async def recorded() -> dict[str, datetime] | None:
            rows = await window_rows(harness, app)
            return rows if bsuid in rows else None

        rows = await eventually(recorded)
        reply = harness.reply(bsuid, "Your reminder: call Ana")
        await harness.publish(app, reply)
        message = await harness.reaches(app, reply.payload["reply_id"], "read")
        async with harness.runtime(app).db.read() as session:
            asked = (
                await session.execute(
                    select(outbound_messages.c.original_kind).where(
                        outbound_messages.c.reply_id == reply.payload["reply_id"]
                    )
                )
            ).scalar_one()
        await lp.sim.wait_idle()

    # The user's last message is 25 h old: the sender found that window and sent the template.
    assert rows[bsuid].timestamp() == long_ago
    [sent] = lp.sim.sent_messages(bsuid)
    assert sent["type"] == "template"
    assert sent["body"]["recipient"] == bsuid
    assert "to" not in sent["body"]
    assert (message.kind, asked) == ("template", "text")


async def test_a_user_known_by_both_has_one_window_under_each_address(harness: Any) -> None:
    bsuid, phone = new_bsuid(), harness.phone()
    user = inbound.User(wa_id=phone, name="Ana", bsuid=bsuid)
    async with loop(harness) as lp:
        assert lp.sender is not None
        app = lp.sender
        await lp.sim.inject_webhook(inbound.messages_webhook(inbound.text(user, "hi")))

        async def both() -> dict[str, datetime] | None:
            rows = await window_rows(harness, app)
            return rows if {phone, bsuid} <= rows.keys() else None

        rows = await eventually(both)
        async with harness.runtime(app).db.read() as session:
            receipts = (
                await session.execute(
                    select(outbound_messages.c.to).where(
                        outbound_messages.c.kind == "read", outbound_messages.c.user_id == f"u-{phone}"
                    )
                )
            ).all()

    assert rows[phone] == rows[bsuid]
    # The receipt is ordered among the messages to the address replies default to: the number.
    assert [r.to for r in receipts] == [phone]


async def test_replies_to_a_bsuid_user_keep_the_pair_rate_and_their_order(harness: Any) -> None:
    bsuid = new_bsuid()
    pair = {"pair_interval_s": 1.5, "pair_burst": 1}
    harness.sim.configure_limits(**pair)
    replies = [harness.reply(bsuid, f"message {i}") for i in range(3)]
    async with harness.start(throughput_margin=0.2, **pair) as app:
        await harness.publish(app, *replies)
        for reply in replies:
            await harness.reaches(app, reply.payload["reply_id"], "sent")
        async with harness.runtime(app).db.read() as session:
            paced = (await session.execute(select(recipient_pacing.c.to))).scalars().all()

    sent = harness.sim.sent_messages(bsuid)
    assert [m["body"]["text"]["body"] for m in sent] == ["message 0", "message 1", "message 2"]
    assert all(m["body"]["recipient"] == bsuid for m in sent)
    times = [m["received_monotonic"] for m in sent]
    assert all(b - a >= 1.5 for a, b in itertools.pairwise(times))
    assert bsuid in paced
    assert harness.sim.limit_violations() == []
    assert harness.sim.limit_rejections() == {}


async def test_a_recipient_that_is_neither_a_phone_number_nor_a_bsuid_is_refused(harness: Any) -> None:
    bad = ["us.13491208655302741918", "US.", "US.1349 1208", "USA.1349", "@kai.builds", "US." + "1" * 129]
    phone = harness.phone()
    spaced = f"+{phone[:2]} {phone[2:5]}-{phone[5:]}"
    parent = "US.ENT." + new_bsuid()[3:]
    refused = [harness.reply(to) for to in bad]
    async with harness.start() as app:
        letters = harness.runtime(app).dead_letters
        await harness.publish(app, *refused)
        good = [harness.reply(spaced), harness.reply(parent)]
        await harness.publish(app, *good)
        for reply in good:
            await harness.reaches(app, reply.payload["reply_id"], "sent")

        async def all_dead() -> list[Any] | None:
            found = await letters.find(queue=SENDER_REPLIES.name, limit=500)
            ours = [d for d in found if d.event_id in {r.id for r in refused}]
            return ours if len(ours) == len(bad) else None

        dead = await eventually(all_dead)
        stored = [await harness.outbound(app, r.payload["reply_id"]) for r in refused]

    assert stored == [None] * len(bad)
    assert all("is not a phone number nor a business-scoped user id" in d.reason for d in dead)
    # A phone number is normalised to its digits and sent by ``to``, as always.
    [by_phone] = harness.sim.sent_messages(phone)
    assert by_phone["body"]["to"] == f"+{phone}"
    assert "recipient" not in by_phone["body"]
    # A parent BSUID (an enterprise portfolio's) is a BSUID too.
    [by_parent] = harness.sim.sent_messages(parent)
    assert by_parent["body"]["recipient"] == parent


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
