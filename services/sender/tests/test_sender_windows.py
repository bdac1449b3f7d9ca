"""The 24-hour customer-service window: inbound messages get their blue ticks (and the typing
indicator while fresh) and open the window; inside it replies go as they are, outside it as the
configured template, or they fail with the reason; Meta's 131047 leads to the template, once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import MessageReceived
from tasklane_sender.tables import outbound_messages, windows
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID

TEMPLATE = {
    "window_template_name": "tasklane_reply",
    "window_template_language": "en_US",
}


def inbound(
    to: str, *, ago: timedelta = timedelta(0), arrived_ago: timedelta = timedelta(0), kind: str = "text"
) -> Envelope:
    """A ``message.received`` from ``to``, written ``ago`` and reaching us ``arrived_ago``."""
    now = datetime.now(UTC)
    wamid = f"wamid.{uuid.uuid4().hex}"
    event = MessageReceived(
        wamid=wamid,
        phone_number_id=DEFAULT_PHONE_NUMBER_ID,
        user_id=f"u-{to}",
        wa_id=to,
        message_type=kind,
        text="add buy milk",
        sent_at=now - ago,
        received_at=now - arrived_ago,
    )
    return new_envelope(event, producer="gateway", event_id=deterministic_id("message", wamid))


def receipt_id(message: Envelope) -> str:
    return deterministic_id("sender.read", DEFAULT_PHONE_NUMBER_ID, message.payload["wamid"])


def receipts(harness: Any) -> dict[str, dict[str, Any]]:
    """The read receipts the simulator accepted, by the wamid they mark read."""
    return {
        r.body["message_id"]: r.body
        for r in harness.sim.requests()
        if isinstance(r.body, dict) and r.body.get("status") == "read" and r.status_code == 200
    }


async def row(harness: Any, app: Any, reply_id: str) -> Any:
    async with harness.runtime(app).db.read() as session:
        return (
            await session.execute(select(outbound_messages).where(outbound_messages.c.reply_id == reply_id))
        ).one()


async def test_an_inbound_message_is_marked_read_with_the_typing_indicator(harness: Any) -> None:
    user = harness.phone()
    fresh = inbound(user)
    late = inbound(user, ago=timedelta(minutes=2), arrived_ago=timedelta(seconds=30))
    ancient = inbound(user, ago=timedelta(days=31))
    system = inbound(user, kind="system")
    async with harness.start() as app:
        await harness.publish(app, fresh, late, ancient, system)
        first = await harness.reaches(app, receipt_id(fresh), "sent")
        await harness.reaches(app, receipt_id(late), "sent")
        inbound_consumer = next(c for c in harness.runtime(app).consumers if c.queue.name == "sender.inbound")
        await harness.settled(lambda: inbound_consumer.handled >= 4)
        assert await harness.outbound(app, receipt_id(ancient)) is None
        assert await harness.outbound(app, receipt_id(system)) is None
        async with harness.runtime(app).db.read() as session:
            [window] = (await session.execute(select(windows).where(windows.c.wa_id == user))).all()
        tap = await harness.events()
        # A reply after the receipts: once its message.sent is out, the receipts' would be too.
        reply = harness.reply(user, "Task added: buy milk")
        await harness.publish(app, reply)
        await tap.wait("message.sent", reply.payload["reply_id"])

    marked = receipts(harness)
    assert marked[fresh.payload["wamid"]] == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": fresh.payload["wamid"],
        "typing_indicator": {"type": "text"},
    }
    # 30 s after it reached us a typing bubble would promise too much: blue ticks only.
    assert marked[late.payload["wamid"]] == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": late.payload["wamid"],
    }
    assert set(marked) == {fresh.payload["wamid"], late.payload["wamid"]}
    assert first.kind == "read"
    assert first.wamid is None
    # The window runs from the newest message, whatever order the events came in.
    assert abs(window.last_inbound_at - datetime.fromisoformat(fresh.payload["sent_at"])) < timedelta(
        seconds=1
    )
    for message in (fresh, late):
        assert [e.type for e in tap.seen if e.payload.get("reply_id") == receipt_id(message)] == []
    # The receipt went before the reply, which is sent as a plain text.
    [sent] = harness.sim.sent_messages(user)
    assert sent["type"] == "text"


async def test_a_late_older_message_does_not_shorten_the_window(harness: Any) -> None:
    user = harness.phone()
    recent, older = inbound(user, ago=timedelta(minutes=1)), inbound(user, ago=timedelta(hours=30))
    reply = harness.reply(user, "Done: buy milk")
    async with harness.start(**TEMPLATE) as app:
        await harness.publish(app, recent)
        await harness.reaches(app, receipt_id(recent), "sent")
        await harness.publish(app, older)
        await harness.reaches(app, receipt_id(older), "sent")
        await harness.publish(app, reply)
        await harness.reaches(app, reply.payload["reply_id"], "sent")

    [sent] = harness.sim.sent_messages(user)
    assert sent["type"] == "text"
    assert sent["body"]["text"] == {"body": "Done: buy milk"}


async def test_outside_the_window_a_reply_goes_as_the_template(harness: Any) -> None:
    user = harness.phone()
    old = inbound(user, ago=timedelta(hours=25))
    text = "Your tasks:\n\t1. buy milk\n2.     call mum"
    reply = harness.reply(user, text)
    async with harness.start(**TEMPLATE) as app:
        await harness.publish(app, old)
        await harness.reaches(app, receipt_id(old), "sent")
        await harness.publish(app, reply)
        message = await harness.reaches(app, reply.payload["reply_id"], "sent")
        stored = await row(harness, app, reply.payload["reply_id"])

    [sent] = harness.sim.sent_messages(user)
    assert sent["type"] == "template"
    assert sent["body"]["template"] == {
        "name": "tasklane_reply",
        "language": {"code": "en_US"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Your tasks: 1. buy milk 2. call mum"}]}
        ],
    }
    assert message.kind == "template"
    assert stored.original_kind == "text"
    assert stored.original_content == {"body": text}
    # The stale receipt went without a typing indicator: no free-form reply could follow it.
    assert "typing_indicator" not in receipts(harness)[old.payload["wamid"]]


async def test_a_named_template_parameter_and_a_long_text(harness: Any) -> None:
    user = harness.phone()
    old = inbound(user, ago=timedelta(days=3))
    reply = harness.reply(user, "word " * 400)
    settings = {**TEMPLATE, "window_template_param_style": "named", "window_template_param_name": "reply"}
    async with harness.start(**settings) as app:
        await harness.publish(app, old)
        await harness.reaches(app, receipt_id(old), "sent")
        await harness.publish(app, reply)
        await harness.reaches(app, reply.payload["reply_id"], "sent")

    [sent] = harness.sim.sent_messages(user)
    [parameter] = sent["body"]["template"]["components"][0]["parameters"]
    assert parameter["parameter_name"] == "reply"
    assert len(parameter["text"]) == 1024
    assert parameter["text"].endswith("…")


async def test_outside_the_window_without_a_template_the_reply_fails_with_the_reason(harness: Any) -> None:
    user = harness.phone()
    old = inbound(user, ago=timedelta(hours=25))
    reply = harness.reply(user, "Task added")
    async with harness.start() as app:
        await harness.publish(app, old)
        await harness.reaches(app, receipt_id(old), "sent")
        await harness.publish(app, reply)
        message = await harness.reaches(app, reply.payload["reply_id"], "failed")
        event = await (await harness.events()).wait("message.failed", reply.payload["reply_id"])

    assert message.last_error == "outside the 24-hour window and no template configured; nothing was sent"
    assert (
        event.payload["reason"] == "outside the 24-hour window and no template configured; nothing was sent"
    )
    assert harness.sim.sent_messages(user) == []


async def test_meta_refusing_for_the_window_leads_to_the_template_once(harness: Any) -> None:
    user = harness.phone()
    reply = harness.reply(user, "Task added: buy milk")
    # No inbound message seen: the window is unknown, so the reply goes as is and Meta decides.
    harness.sim.fail_next(1, 131047)
    async with harness.start(**TEMPLATE) as app:
        await harness.publish(app, reply)
        message = await harness.reaches(app, reply.payload["reply_id"], "sent")
        stored = await row(harness, app, reply.payload["reply_id"])

    calls = [r for r in harness.sim.requests() if isinstance(r.body, dict) and r.body.get("to") == f"+{user}"]
    assert [(r.body["type"], r.status_code) for r in calls] == [("text", 400), ("template", 200)]
    assert message.kind == "template"
    assert stored.original_kind == "text"
    assert stored.original_content == {"body": "Task added: buy milk"}


async def test_a_template_refused_for_the_window_fails(harness: Any) -> None:
    user = harness.phone()
    reply = harness.reply(user, "Task added: buy milk")
    harness.sim.fail_next(2, 131047)
    async with harness.start(**TEMPLATE) as app:
        await harness.publish(app, reply)
        message = await harness.reaches(app, reply.payload["reply_id"], "failed")

    calls = [r for r in harness.sim.requests() if isinstance(r.body, dict) and r.body.get("to") == f"+{user}"]
    assert [r.body["type"] for r in calls] == ["text", "template"]
    assert message.error_code == 131047
    assert message.last_error is not None


async def test_a_failed_status_131047_leads_to_the_template(harness: Any) -> None:
    user = harness.phone()
    reply = harness.reply(user, "Task added: buy milk")
    async with harness.start(**TEMPLATE) as app:
        await harness.publish(app, reply)
        first = await harness.reaches(app, reply.payload["reply_id"], "sent")
        refused = [{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message"}]
        await harness.publish(app, harness.status(first.wamid, "failed", to=user, errors=refused))
        await harness.sim.wait_for_message(user, count=2)
        second = await harness.reaches(app, reply.payload["reply_id"], "sent")

    sent = harness.sim.sent_messages(user)
    assert [m["type"] for m in sent] == ["text", "template"]
    assert second.wamid == sent[1]["wamid"] != first.wamid
    assert second.kind == "template"
