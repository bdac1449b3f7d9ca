"""Every Graph API error does what Meta's meaning of its code asks: retried with backoff, the
recipient or the number slowed down, the number paused with an alert, or the message failed."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tasklane_common.auth import hash_key, new_key
from tasklane_common.messaging import Envelope, deterministic_id, new_envelope
from tasklane_common.messaging.contracts.gateway import NumberConfigured
from tasklane_common.settings import ApiKey, AuthSettings, Role
from tasklane_sender.errors import ERRORS, Action, rule_for
from tasklane_sender.tables import recipient_pacing
from tasklane_simulator.payloads import DEFAULT_DISPLAY_NUMBER, DEFAULT_PHONE_NUMBER_ID
from tasklane_simulator.settings import NumberSettings

OPERATOR_KEY = new_key()
AUTH = AuthSettings(api_keys=[ApiKey(name="ops", role=Role.OPERATOR, sha256=hash_key(OPERATOR_KEY))])

# Every code of Meta's error table (docs/reference §6) a send can meet, with what it must do.
META_CODES: dict[int, Action] = {
    0: Action.PAUSE,
    1: Action.RETRY_ONCE,
    2: Action.RETRY,
    3: Action.PAUSE,
    4: Action.THROTTLE,
    10: Action.PAUSE,
    100: Action.FAIL,
    190: Action.PAUSE,
    200: Action.PAUSE,
    299: Action.PAUSE,
    368: Action.PAUSE,
    80007: Action.THROTTLE,
    130403: Action.FAIL,
    130429: Action.THROTTLE,
    130472: Action.FAIL,
    130497: Action.FAIL,
    131000: Action.RETRY,
    131005: Action.PAUSE,
    131008: Action.FAIL,
    131009: Action.FAIL,
    131016: Action.RETRY,
    131021: Action.FAIL,
    131026: Action.FAIL,
    131031: Action.PAUSE,
    131037: Action.PAUSE,
    131042: Action.PAUSE,
    131045: Action.PAUSE,
    131047: Action.WINDOW,
    131048: Action.HOLD,
    131049: Action.FAIL,
    131050: Action.FAIL,
    131051: Action.FAIL,
    131052: Action.FAIL,
    131053: Action.FAIL,
    131056: Action.PAIR,
    131057: Action.THROTTLE,
    131063: Action.FAIL,
    131064: Action.HOLD,
    132000: Action.FAIL,
    132001: Action.FAIL,
    132005: Action.FAIL,
    132007: Action.FAIL,
    132012: Action.FAIL,
    132015: Action.FAIL,
    132016: Action.FAIL,
    132068: Action.FAIL,
    132069: Action.FAIL,
    133000: Action.FAIL,
    133004: Action.RETRY,
    133010: Action.PAUSE,
    133015: Action.FAIL,
    133016: Action.RETRY,
    135000: Action.FAIL,
}


@pytest.mark.parametrize(("code", "action"), sorted(META_CODES.items()))
def test_each_meta_code_has_its_action(code: int, action: Action) -> None:
    assert rule_for(400, code).action is action


def test_the_table_names_no_code_twice_and_only_outages_trip_the_breaker() -> None:
    assert {c for c, rule in ERRORS.items() if rule.outage} == {2, 131000, 131016, 133004}
    # Code decides over HTTP status: Meta answers code 1 with a 500, yet it is retried only once.
    assert rule_for(500, 1).action is Action.RETRY_ONCE


@pytest.mark.parametrize(
    ("status", "code", "transient", "action", "outage"),
    [
        (None, None, None, Action.RETRY, True),  # timeout, connection refused
        (502, None, None, Action.RETRY, True),  # a proxy's error page
        (503, 999999, None, Action.RETRY, True),  # unknown code, server error
        (429, None, None, Action.THROTTLE, False),  # bare 429
        (401, None, None, Action.PAUSE, False),  # bare 401
        (400, 999999, None, Action.FAIL, False),  # unknown code
        (400, 999999, True, Action.RETRY, False),  # unknown, but Meta says transient
    ],
)
def test_answers_without_a_known_code(
    status: int | None, code: int | None, transient: bool | None, action: Action, outage: bool
) -> None:
    rule = rule_for(status, code, transient=transient)
    assert (rule.action, rule.outage) == (action, outage)


async def alerts(harness: Any) -> list[Envelope]:
    tap = await harness.events()
    await tap.matching("sender.alert", "")  # drains the queue into tap.seen
    return [e for e in tap.seen if e.type == "sender.alert"]


async def numbers(app: FastAPI) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {OPERATOR_KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://s", headers=headers) as client:
        listed = (await client.get("/api/v1/sender/numbers")).json()["items"]
    return {n["phone_number_id"]: n for n in listed}


async def wait_for(check: Any, timeout: float = 10.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (result := await check()):
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
    return result


def accept_token(harness: Any, token: str) -> None:
    """The operator fixed the token at Meta: the simulator now accepts ``token``."""
    harness.sim.add_number(
        NumberSettings(
            phone_number_id=DEFAULT_PHONE_NUMBER_ID,
            display_phone_number=DEFAULT_DISPLAY_NUMBER,
            access_token=token,
        )
    )


async def paused_with_three_waiting(harness: Any, app: FastAPI) -> list[Envelope]:
    replies = [harness.reply(harness.phone()) for _ in range(3)]
    await harness.publish(app, *replies)

    async def paused() -> bool:
        number = (await numbers(app)).get(DEFAULT_PHONE_NUMBER_ID)
        return bool(number and number["paused"])

    await wait_for(paused)
    return replies


async def test_an_expired_token_pauses_the_number_until_an_operator_resumes_it(harness: Any) -> None:
    async with harness.start(access_token="rotated-token", auth=AUTH) as app:
        replies = await paused_with_three_waiting(harness, app)
        calls_when_paused = len(harness.sim.requests())
        number = (await numbers(app))[DEFAULT_PHONE_NUMBER_ID]
        [alert] = await wait_for(lambda: alerts(harness))
        waiting = [await harness.outbound(app, r.payload["reply_id"]) for r in replies]

        accept_token(harness, "rotated-token")
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {OPERATOR_KEY}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://s", headers=headers) as client:
            resumed = await client.post(f"/api/v1/sender/numbers/{DEFAULT_PHONE_NUMBER_ID}/resume")
            unknown = await client.post("/api/v1/sender/numbers/999/resume")
        sent = [await harness.reaches(app, r.payload["reply_id"], "sent") for r in replies]
        failed = [
            e
            for r in replies
            for e in await (await harness.events()).matching("message.failed", r.payload["reply_id"])
        ]

    assert number["pause_code"] == 190
    assert "access token" in number["pause_reason"].lower() or "token" in number["pause_reason"].lower()
    assert number["pending"] == 3
    assert alert.payload["severity"] == "critical"
    assert alert.payload["alert"] == "number_paused"
    assert alert.payload["phone_number_id"] == DEFAULT_PHONE_NUMBER_ID
    assert alert.payload["error_code"] == 190
    # Paused, nothing failed and no attempt was spent; at most the calls already under way were made.
    assert all(m is not None and m.status == "queued" and m.attempts == 0 for m in waiting)
    assert calls_when_paused <= 3
    assert resumed.status_code == 200
    assert resumed.json()["resumed"] is True
    assert unknown.status_code == 404
    assert all(m.attempts == 1 for m in sent)
    assert failed == []


async def test_a_newer_number_configuration_resumes_a_paused_number(harness: Any) -> None:
    async with harness.start(access_token="rotated-token", auth=AUTH) as app:
        replies = await paused_with_three_waiting(harness, app)
        accept_token(harness, "rotated-token")
        configured = NumberConfigured(
            phone_number_id=DEFAULT_PHONE_NUMBER_ID, app_id="app-1", state="active", version=7
        )
        await harness.publish(
            app,
            new_envelope(configured, producer="gateway", event_id=deterministic_id("number", "app-1", "7")),
        )
        for reply in replies:
            await harness.reaches(app, reply.payload["reply_id"], "sent")
        number = (await numbers(app))[DEFAULT_PHONE_NUMBER_ID]
    assert number["paused"] is False


async def test_a_pair_rate_refusal_backs_off_only_that_recipient(harness: Any) -> None:
    """Meta's 4^X seconds (here scaled by backoff_initial_s = 0.25: 0.25 s, then 1 s)."""
    slow, other = harness.phone(), harness.phone()
    harness.sim.fail_next(2, 131056)
    async with harness.start(backoff_initial_s=0.25, backoff_max_s=30) as app:
        first = harness.reply(slow, "to the busy user")
        await harness.publish(app, first)
        await wait_for(lambda: _rejections(harness, 2))
        others = [harness.reply(other, f"to another user {i}") for i in range(2)]
        await harness.publish(app, *others)
        for reply in others:
            await harness.reaches(app, reply.payload["reply_id"], "sent")
        message = await harness.reaches(app, first.payload["reply_id"], "sent")
        async with harness.runtime(app).db.read() as session:
            pair = (
                await session.execute(select(recipient_pacing).where(recipient_pacing.c.to == slow))
            ).one()

    attempts = [a for a in harness.sim.attempts() if a.to == slow]
    assert [a.code for a in attempts] == [131056, 131056, None]
    assert attempts[1].monotonic - attempts[0].monotonic >= 0.25  # 4^0
    assert attempts[2].monotonic - attempts[1].monotonic >= 1.0  # 4^1
    # The other user was not held up by it: both went out while the busy user waited.
    other_times = [a.monotonic for a in harness.sim.attempts() if a.to == other and a.accepted]
    assert len(other_times) == 2
    assert max(other_times) < attempts[2].monotonic
    assert message.attempts == 1  # a rate limit is no fault of the message
    assert pair.strikes == 2


async def _rejections(harness: Any, count: int) -> bool:
    return sum(1 for a in harness.sim.attempts() if a.code == 131056) >= count


async def test_a_throughput_refusal_pushes_the_number_schedule_back(harness: Any) -> None:
    harness.sim.fail_next(1, 130429)
    replies = [harness.reply(harness.phone()) for _ in range(3)]
    async with harness.start(backoff_initial_s=0.3, backoff_max_s=5, dispatch_batch=1) as app:
        await harness.publish(app, *replies)
        for reply in replies:
            await harness.reaches(app, reply.payload["reply_id"], "sent")
    attempts = harness.sim.attempts()
    refused = next(a for a in attempts if a.code == 130429)
    after = [a.monotonic for a in attempts if a.monotonic > refused.monotonic]
    # No call from this number, to anyone, until its schedule came round again.
    assert len(after) == 3
    assert min(after) - refused.monotonic >= 0.3


async def test_code_1_is_retried_once_then_failed(harness: Any) -> None:
    harness.sim.fail_next(2, 1)
    reply = harness.reply(harness.phone())
    async with harness.start() as app:
        await harness.publish(app, reply)
        message = await harness.reaches(app, reply.payload["reply_id"], "failed")
        event = await (await harness.events()).wait("message.failed", reply.payload["reply_id"])
    assert len(harness.sim.requests()) == 2
    assert message.attempts == 2
    assert message.error_code == 1
    assert event.payload["error_code"] == 1
    assert "failed twice" in event.payload["reason"]


async def test_a_spam_limit_holds_the_number_for_the_configured_wait(harness: Any) -> None:
    harness.sim.fail_next(1, 131048)
    reply = harness.reply(harness.phone())
    async with harness.start(spam_limit_wait_s=1.0, auth=AUTH) as app:
        await harness.publish(app, reply)
        [alert] = await wait_for(lambda: alerts(harness))
        message = await harness.reaches(app, reply.payload["reply_id"], "sent")
    first, second = harness.sim.attempts()
    assert first.code == 131048
    assert second.monotonic - first.monotonic >= 1.0
    assert alert.payload["severity"] == "warning"
    assert alert.payload["alert"] == "number_held"
    assert message.attempts == 2


async def test_resuming_a_held_number_lifts_the_hold(harness: Any) -> None:
    harness.sim.fail_next(1, 131048)
    reply = harness.reply(harness.phone())
    async with harness.start(spam_limit_wait_s=3600.0, auth=AUTH) as app:
        await harness.publish(app, reply)

        async def held_number() -> dict[str, Any] | None:
            number: dict[str, Any] = (await numbers(app))[DEFAULT_PHONE_NUMBER_ID]
            return number if number["held_until"] is not None else None

        held = await wait_for(held_number)
        await alerts(harness)  # drained: later tests look for their own
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {OPERATOR_KEY}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://s", headers=headers) as client:
            resumed = await client.post(f"/api/v1/sender/numbers/{DEFAULT_PHONE_NUMBER_ID}/resume")
        # Within the 10 s wait, not the hour's hold.
        message = await harness.reaches(app, reply.payload["reply_id"], "sent")
        after = (await numbers(app))[DEFAULT_PHONE_NUMBER_ID]

    assert held["hold_code"] == 131048
    assert held["held_until"] is not None
    assert resumed.status_code == 200
    assert resumed.json()["resumed"] is True
    assert resumed.json()["hold_lifted"] is True
    assert after["held_until"] is None
    assert message.attempts == 2


async def test_an_open_breaker_makes_no_calls_while_open(harness: Any) -> None:
    harness.sim.fail_next(2, None, status=503)
    first = harness.reply(harness.phone())
    later = [harness.reply(harness.phone()) for _ in range(4)]
    async with harness.start(breaker_fail_max=2, breaker_reset_s=1.0) as app:
        await harness.publish(app, first)
        await wait_for(lambda: _opened(app))
        await harness.publish(app, *later)  # arrive while it is open: they wait
        for reply in [first, *later]:
            await harness.reaches(app, reply.payload["reply_id"], "sent")
    requests = harness.sim.requests()
    assert [r.status_code for r in requests[:2]] == [503, 503]
    opened = requests[1].received_monotonic
    assert all(r.received_monotonic - opened >= 0.9 for r in requests[2:])
    assert len(requests) == 2 + 5  # one call per message once it closed, none while open


async def _opened(app: FastAPI) -> bool:
    return bool(app.state.dispatcher.graph.breaker_states().get(DEFAULT_PHONE_NUMBER_ID) == "open")
