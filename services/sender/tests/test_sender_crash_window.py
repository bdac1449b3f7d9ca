"""The crash window: Meta accepted a message but the sender never committed the answer (it died,
or the answer was lost to a timeout). Meta's statuses echo the reply id the message carried in
``biz_opaque_callback_data``; the first one settles the message, so it is not sent a second time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select

from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import StatusReceived
from tasklane_sender.tables import message_statuses, outbound_messages
from tasklane_simulator.payloads import DEFAULT_PHONE_NUMBER_ID, new_wamid


def status(wamid: str, state: str, *, to: str, callback: str | None) -> Envelope:
    event = StatusReceived(
        wamid=wamid,
        status=state,
        phone_number_id=DEFAULT_PHONE_NUMBER_ID,
        recipient_id=to,
        status_at=datetime.now(UTC),
        biz_opaque_callback_data=callback,
    )
    return new_envelope(event, producer="gateway", event_id=deterministic_id("status", wamid, state))


async def left_behind(
    harness: Any, app: FastAPI, to: str, *, state: str, due_in: timedelta, wamid: str | None = None
) -> tuple[str, datetime]:
    """A message as a crashed or timed-out sender leaves it: ``sending`` with a lease, or ``queued``
    for a retry, after one attempt whose answer never got committed."""
    reply_id = f"lost-{to}"
    now = datetime.now(UTC)
    async with harness.runtime(app).db.transaction() as session:
        await session.execute(
            insert(outbound_messages).values(
                reply_id=reply_id,
                correlation_id=f"conv-{reply_id}",
                user_id=f"u-{to}",
                phone_number_id=DEFAULT_PHONE_NUMBER_ID,
                to=to,
                kind="text",
                content={"body": "accepted by Meta, never committed"},
                status=state,
                wamid=wamid,
                attempts=1,
                next_attempt_at=now + due_in,
                lease_until=now + due_in if state == "sending" else None,
                created_at=now - timedelta(seconds=5),
                updated_at=now,
            )
        )
    return reply_id, now + due_in


@pytest.mark.parametrize(("state", "webhook"), [("sending", "sent"), ("queued", "delivered")])
async def test_a_status_naming_an_unsettled_message_settles_it(
    harness: Any, state: str, webhook: str
) -> None:
    to = harness.phone()
    wamid = new_wamid()
    lease = timedelta(seconds=1.5)
    async with harness.start() as app:
        reply_id, due = await left_behind(harness, app, to, state=state, due_in=lease)
        await harness.publish(app, status(wamid, webhook, to=to, callback=reply_id))
        settled = await harness.reaches(app, reply_id, webhook)
        events = await harness.events()
        sent_event = await events.wait("message.sent", reply_id)
        # Past the lease (or retry time) the row would have been claimed and sent again; a later
        # reply to the same user can only go once nothing older is pending.
        await asyncio.sleep((due - datetime.now(UTC)).total_seconds() + 0.3)
        later = harness.reply(to, "the next reply")
        await harness.publish(app, later)
        await harness.reaches(app, later.payload["reply_id"], "sent")

    assert settled.wamid == wamid
    assert sent_event.payload["wamid"] == wamid
    bodies = [m["body"]["text"]["body"] for m in harness.sim.sent_messages(to)]
    assert bodies == ["the next reply"]


async def test_a_status_naming_a_message_with_another_wamid_is_only_kept(harness: Any) -> None:
    to = harness.phone()
    own, stranger = new_wamid(), new_wamid()
    async with harness.start() as app:
        reply_id, _ = await left_behind(harness, app, to, state="sent", due_in=timedelta(0), wamid=own)
        await harness.publish(app, status(stranger, "sent", to=to, callback=reply_id))
        statuses = harness.runtime(app).consumers[1]
        await harness.settled(lambda: statuses.handled >= 1)
        message = await harness.outbound(app, reply_id)
        async with harness.runtime(app).db.read() as session:
            kept = (
                await session.execute(
                    select(message_statuses.c.known).where(message_statuses.c.wamid == stranger)
                )
            ).scalar_one()
    assert message is not None
    assert message.wamid == own
    assert kept is False  # kept for reconciliation, matched to nothing
