"""Replies become Graph API calls: once, retried when WhatsApp says so, failed when it says no."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from tasklane_sender.tables import outbound_messages


async def test_a_reply_is_sent_once_and_reported(harness: Any) -> None:
    to = harness.phone()
    reply = harness.reply(to, "Task added: buy milk 🥛")
    # A poll this slow never fires during the test: the committed reply itself wakes the dispatcher.
    async with harness.start(poll_interval_s=60) as app:
        await harness.publish(app, reply)
        await harness.publish(app, reply)  # redelivered by an upstream retry

        [sent] = await harness.sim.wait_for_message(to)
        message = await harness.reaches(app, reply.payload["reply_id"], "sent")
        event = await (await harness.events()).wait("message.sent", reply.payload["reply_id"])
        replies = harness.runtime(app).consumers[0]
        await harness.settled(lambda: replies.handled + replies.duplicates >= 2)

    assert sent["body"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": f"+{to}",
        "type": "text",
        "text": {"body": "Task added: buy milk 🥛"},
        "biz_opaque_callback_data": reply.payload["reply_id"],
    }
    assert len(harness.sim.sent_messages(to)) == 1
    assert message.wamid == sent["wamid"]
    assert message.attempts == 1
    assert message.sent_at is not None
    assert event.payload["wamid"] == sent["wamid"]
    assert event.payload["to"] == to
    assert event.correlation_id == reply.correlation_id
    assert event.causation_id == reply.id


async def test_transient_failures_are_retried_until_sent(harness: Any) -> None:
    to = harness.phone()
    reply = harness.reply(to)
    harness.sim.fail_next(1, None, status=503)  # a proxy error page, not JSON
    harness.sim.fail_next(1, 130429)  # throughput limit
    async with harness.start() as app:
        await harness.publish(app, reply)
        message = await harness.reaches(app, reply.payload["reply_id"], "sent")

    assert [r.status_code for r in harness.sim.requests()] == [503, 400, 200]
    assert message.attempts == 2  # a throughput refusal is no fault of the message: not counted
    assert message.wamid == harness.sim.sent_messages(to)[0]["wamid"]
    assert message.last_error is None


async def test_retries_stop_after_max_attempts(harness: Any) -> None:
    to = harness.phone()
    reply = harness.reply(to)
    harness.sim.fail_next(10, 131016)
    async with harness.start(max_attempts=3) as app:
        await harness.publish(app, reply)
        message = await harness.reaches(app, reply.payload["reply_id"], "failed")
        event = await (await harness.events()).wait("message.failed", reply.payload["reply_id"])

    assert len(harness.sim.requests()) == 3
    assert message.attempts == 3
    assert message.error_code == 131016
    assert event.payload["reason"].startswith("gave up after 3 attempts")


async def test_an_open_circuit_holds_messages_until_it_may_close(harness: Any) -> None:
    to = harness.phone()
    reply = harness.reply(to)
    harness.sim.fail_next(2, None, status=502)
    async with harness.start(breaker_fail_max=2, breaker_reset_s=0.6) as app:
        await harness.publish(app, reply)
        message = await harness.reaches(app, reply.payload["reply_id"], "sent")

    requests = harness.sim.requests()
    assert [r.status_code for r in requests] == [502, 502, 200]
    # Backoff alone would have retried within ~0.1 s: the open circuit held the message instead.
    held = requests[2].received_monotonic - requests[1].received_monotonic
    assert held >= 0.5
    assert message.attempts == 3


async def test_a_half_open_circuit_lets_one_trial_through_not_the_backlog(harness: Any) -> None:
    """During an outage each reset window costs one trial call, not one call per queued message,
    so a backlog survives an outage longer than its messages' attempts would allow."""
    replies = [harness.reply(harness.phone()) for _ in range(10)]
    harness.sim.fail_next(10_000, None, status=503)
    try:
        async with harness.start(breaker_fail_max=2, breaker_reset_s=0.3, max_attempts=3) as app:
            await harness.publish(app, *replies)
            await asyncio.sleep(2.0)  # about six reset windows
            calls = len(harness.sim.requests())
            harness.sim.reset()  # the Graph API is back
            for reply in replies:
                await harness.reaches(app, reply.payload["reply_id"], "sent", timeout=15)
    finally:
        harness.sim.reset()
    # 2 calls to open it, then one trial per 0.3 s window (~7), with slack for a slow machine;
    # letting the backlog through each window would have made ~70.
    assert calls <= 2 + 12


async def test_an_abandoned_claim_is_taken_again_after_its_lease(harness: Any) -> None:
    """A sender that died mid-send left its message 'sending'; another one finishes the job."""
    to = harness.phone()
    now = datetime.now(UTC)
    async with harness.start() as app:
        async with harness.runtime(app).db.transaction() as session:
            await session.execute(
                insert(outbound_messages).values(
                    reply_id=f"crashed-{to}",
                    correlation_id="conv-crashed",
                    causation_id=None,
                    user_id="u-1",
                    phone_number_id=harness.reply(to).payload["phone_number_id"],
                    to=to,
                    kind="text",
                    content={"body": "recovered"},
                    status="sending",
                    attempts=1,
                    next_attempt_at=now - timedelta(seconds=1),
                    lease_until=now - timedelta(seconds=1),
                    created_at=now - timedelta(minutes=2),
                    updated_at=now - timedelta(minutes=1),
                )
            )
        # Nothing wakes the dispatcher for this row: its poll finds the expired lease.
        message = await harness.reaches(app, f"crashed-{to}", "sent")

    assert message.attempts == 2
    assert harness.sim.sent_messages(to)[0]["body"]["text"] == {"body": "recovered"}


async def test_interactive_replies_are_sent_as_given(harness: Any) -> None:
    to = harness.phone()
    interactive = {
        "type": "button",
        "body": {"text": "Mark 'buy milk' as done?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "done:1", "title": "Done"}},
                {"type": "reply", "reply": {"id": "later:1", "title": "Later"}},
            ]
        },
    }
    reply = harness.reply(to, kind="interactive", content=interactive)
    async with harness.start() as app:
        await harness.publish(app, reply)
        [sent] = await harness.sim.wait_for_message(to)
        await harness.reaches(app, reply.payload["reply_id"], "sent")

    assert sent["type"] == "interactive"
    assert sent["body"]["interactive"] == interactive


async def test_two_replicas_send_each_message_exactly_once(harness: Any) -> None:
    recipients = [harness.phone() for _ in range(10)]
    replies = [harness.reply(to, f"message {i}") for to in recipients for i in range(3)]
    overrides = {"dispatch_batch": 4, "poll_interval_s": 0.02}
    async with harness.start(**overrides) as one, harness.start(**overrides) as two:
        await harness.publish(one, *replies)
        for reply in replies:
            await harness.reaches(one, reply.payload["reply_id"], "sent")
        sent_by = [one.state.dispatcher.sent, two.state.dispatcher.sent]

    assert sum(sent_by) == len(replies)

    for to in recipients:
        bodies = [m["body"]["text"]["body"] for m in harness.sim.sent_messages(to)]
        assert sorted(bodies) == ["message 0", "message 1", "message 2"]


async def test_replies_to_one_user_leave_one_at_a_time_in_order_across_replicas(harness: Any) -> None:
    to = harness.phone()
    replies = [harness.reply(to, f"message {i}") for i in range(6)]
    overrides = {"dispatch_batch": 10, "poll_interval_s": 0.02, "pair_interval_s": 0.01}
    slow = harness.sim.settings.response_delay_s
    harness.sim.settings.response_delay_s = 0.05  # a slow Graph API invites overlapping sends
    try:
        async with harness.start(**overrides) as one, harness.start(**overrides) as two:
            for reply in replies:  # a user's replies reach the sender one after the other
                await harness.publish(one, reply)
                # Polling the database: the sender exposes no event for "queued".
                while await harness.outbound(one, reply.payload["reply_id"]) is None:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            for reply in replies:
                await harness.reaches(two, reply.payload["reply_id"], "sent")
    finally:
        harness.sim.settings.response_delay_s = slow

    sent = harness.sim.sent_messages(to)
    assert [m["body"]["text"]["body"] for m in sent] == [f"message {i}" for i in range(6)]
    # Never two calls for this user at once: each arrived after the previous one was answered.
    times = [m["received_monotonic"] for m in sent]
    assert all(b - a >= 0.05 for a, b in itertools.pairwise(times))


async def test_the_reply_latency_runs_from_the_webhook_in_and_counts_only_answers(harness: Any) -> None:
    to = harness.phone()
    answer = harness.reply(to, "Done: buy milk")
    # The user's message reached the gateway 40 s before the agent asked (a slow turn, a backlog):
    # the SLO is what the user waited, not what the sender saw.
    answer.payload["received_at"] = (datetime.now(UTC) - timedelta(seconds=40)).isoformat()
    reminder = harness.reply(to, "Reminder: buy milk is due")  # nothing was received to answer
    async with harness.start() as app:
        await harness.publish(app, answer, reminder)
        await harness.reaches(app, answer.payload["reply_id"], "sent")
        await harness.reaches(app, reminder.payload["reply_id"], "sent")
        registry = harness.runtime(app).metrics.registry

    def value(name: str, **labels: str) -> float:
        found = registry.get_sample_value(name, labels)
        return found if found is not None else 0.0

    assert value("tasklane_reply_latency_seconds_count") == 1
    assert value("tasklane_reply_latency_seconds_sum") >= 40
    assert value("tasklane_reply_latency_seconds_bucket", le="30.0") == 0
